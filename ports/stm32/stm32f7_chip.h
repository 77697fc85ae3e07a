/*
 * STM32F72x/F73x/F74x/F75x/F76x/F77x (Pyboard D SF2/SF3 = F722/F723,
 * SF6 = F767; NUCLEO-F7 boards).  Facts from RM0385/RM0410 and the F767
 * alternate-function table.  I2C4 exists on F76x/F77x only; on an F722 its
 * clock enable bit is reserved and the open simply finds no such pins wired.
 * The I2C kernel clock is assumed to be PCLK1 (RCC_DCKCFGR2.I2CxSEL = 0, the
 * reset value MicroPython keeps).
 */
#ifndef I2CT_STM32F7_CHIP_H
#define I2CT_STM32F7_CHIP_H

#define STM32_RCC_BASE        0x40023800u
#define STM32_RCC_CFGR        (STM32_RCC_BASE + 0x08u)
#define STM32_RCC_GPIO_ENR    (STM32_RCC_BASE + 0x30u)   /* AHB1ENR */
#define STM32_RCC_APB1ENR     (STM32_RCC_BASE + 0x40u)
#define STM32_PPRE1_SHIFT     10u
#define STM32_GPIO_BASE       0x40020000u
#define STM32_GPIO_STRIDE     0x400u
#define STM32_GPIO_PORTS      11u                         /* A..K */
#define STM32_VECTOR_COUNT    (16u + 110u)
#define STM32_VECTOR_ALIGN    512u

#define STM32_I2C_COUNT 4u
#define STM32_I2C_INSTANCES { \
    { 0x40005400u, 21u, 31u, 32u }, \
    { 0x40005800u, 22u, 33u, 34u }, \
    { 0x40005C00u, 23u, 72u, 73u }, \
    { 0x40006000u, 24u, 95u, 96u }, \
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
    { P_('D', 12), 3, STM32_ROLE_SCL, 4 }, { P_('D', 13), 3, STM32_ROLE_SDA, 4 }, \
    { P_('F', 14), 3, STM32_ROLE_SCL, 4 }, { P_('F', 15), 3, STM32_ROLE_SDA, 4 }, \
    { P_('H', 11), 3, STM32_ROLE_SCL, 4 }, { P_('H', 12), 3, STM32_ROLE_SDA, 4 }, \
    { P_('B', 6),  3, STM32_ROLE_SCL, 11 }, { P_('B', 7), 3, STM32_ROLE_SDA, 11 }, \
    { P_('B', 8),  3, STM32_ROLE_SCL, 1 }, { P_('B', 9),  3, STM32_ROLE_SDA, 1 }, \
}

#endif
