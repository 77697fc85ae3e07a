/*
 * STM32F405/F407/F415/F417 (Pyboard v1.x, Pyboard Lite is F411: same rows
 * for I2C1..I2C3 except its extra AF9 pins, not listed here).  Facts from
 * RM0090 and the F405 datasheet alternate-function table; I2C is AF4.
 */
#ifndef I2CT_STM32F4_CHIP_H
#define I2CT_STM32F4_CHIP_H

#define STM32_RCC_BASE        0x40023800u
#define STM32_RCC_CFGR        (STM32_RCC_BASE + 0x08u)
#define STM32_RCC_GPIO_ENR    (STM32_RCC_BASE + 0x30u)   /* AHB1ENR, bit = GPIO port */
#define STM32_RCC_APB1ENR     (STM32_RCC_BASE + 0x40u)
#define STM32_PPRE1_SHIFT     10u                         /* CFGR.PPRE1 */
#define STM32_GPIO_BASE       0x40020000u
#define STM32_GPIO_STRIDE     0x400u
#define STM32_GPIO_PORTS      9u                          /* A..I */
#define STM32_VECTOR_COUNT    (16u + 82u)
#define STM32_VECTOR_ALIGN    512u                        /* next power of two of 98 words */

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
    { P_('B', 10), 1, STM32_ROLE_SCL, 4 }, { P_('B', 11), 1, STM32_ROLE_SDA, 4 }, \
    { P_('F', 1),  1, STM32_ROLE_SCL, 4 }, { P_('F', 0),  1, STM32_ROLE_SDA, 4 }, \
    { P_('H', 4),  1, STM32_ROLE_SCL, 4 }, { P_('H', 5),  1, STM32_ROLE_SDA, 4 }, \
    { P_('A', 8),  2, STM32_ROLE_SCL, 4 }, { P_('C', 9),  2, STM32_ROLE_SDA, 4 }, \
    { P_('H', 7),  2, STM32_ROLE_SCL, 4 }, { P_('H', 8),  2, STM32_ROLE_SDA, 4 }, \
}

#endif
