/*
 * STM32L47x/L48x (NUCLEO-L476RG).  Facts from RM0351 and the L476
 * alternate-function table.  I2C kernel clock assumed PCLK1
 * (RCC_CCIPR.I2CxSEL = 0, the reset value).
 */
#ifndef I2CT_STM32L4_CHIP_H
#define I2CT_STM32L4_CHIP_H

#define STM32_RCC_BASE        0x40021000u
#define STM32_RCC_CFGR        (STM32_RCC_BASE + 0x08u)
#define STM32_RCC_GPIO_ENR    (STM32_RCC_BASE + 0x4Cu)   /* AHB2ENR */
#define STM32_RCC_APB1ENR     (STM32_RCC_BASE + 0x58u)   /* APB1ENR1 */
#define STM32_PPRE1_SHIFT     8u
#define STM32_GPIO_BASE       0x48000000u
#define STM32_GPIO_STRIDE     0x400u
#define STM32_GPIO_PORTS      8u                          /* A..H */
#define STM32_VECTOR_COUNT    (16u + 82u)
#define STM32_VECTOR_ALIGN    512u

#define STM32_I2C_COUNT 3u
#define STM32_I2C_INSTANCES { \
    { 0x40005400u, 21u, 31u, 32u }, \
    { 0x40005800u, 22u, 33u, 34u }, \
    { 0x40005C00u, 23u, 72u, 73u }, \
}

#define P_(port, n) ((uint8_t)(((port) - 'A') * 32 + (n)))
#define STM32_I2C_PINS { \
    { P_('B', 6),  0, STM32_ROLE_SCL, 4 }, { P_('B', 7),  0, STM32_ROLE_SDA, 4 }, \
    { P_('B', 8),  0, STM32_ROLE_SCL, 4 }, { P_('B', 9),  0, STM32_ROLE_SDA, 4 }, \
    { P_('G', 14), 0, STM32_ROLE_SCL, 4 }, { P_('G', 13), 0, STM32_ROLE_SDA, 4 }, \
    { P_('B', 10), 1, STM32_ROLE_SCL, 4 }, { P_('B', 11), 1, STM32_ROLE_SDA, 4 }, \
    { P_('B', 13), 1, STM32_ROLE_SCL, 4 }, { P_('B', 14), 1, STM32_ROLE_SDA, 4 }, \
    { P_('F', 1),  1, STM32_ROLE_SCL, 4 }, { P_('F', 0),  1, STM32_ROLE_SDA, 4 }, \
    { P_('C', 0),  2, STM32_ROLE_SCL, 4 }, { P_('C', 1),  2, STM32_ROLE_SDA, 4 }, \
    { P_('G', 7),  2, STM32_ROLE_SCL, 4 }, { P_('G', 8),  2, STM32_ROLE_SDA, 4 }, \
}

#endif
