/*
 * SAM D21: where the SERCOMs, their clocks and interrupt lines are.  Values
 * from the SAM D21 datasheet (DS40001882): product mapping, GCLK CLKCTRL
 * generic clock ids, PM APBCMASK bits, NVIC line table.
 */
#ifndef SAMD21_REGS_H
#define SAMD21_REGS_H

#define SAMD_SERCOM_COUNT       6
#define SAMD_IRQ_LINES_PER_SERCOM 1
#define SAMD_CPU_HZ             48000000u
/* Exceptions 0..15 then up to 29 external lines; rounded up. */
#define SAMD_VECTOR_COUNT       (16 + 32)
#define SAMD_VECTOR_ALIGN       256u
#define SAMD_FLASH_END          0x00040000u

#define SAMD_SERCOM_BASES { 0x42000800u, 0x42000C00u, 0x42001000u, 0x42001400u, \
    0x42001800u, 0x42001C00u }
#define SAMD_SERCOM_IRQ0(n)     (9u + (unsigned)(n))

#define GCLK_BASE               0x40000C00u
#define GCLK_STATUS             (GCLK_BASE + 0x01u)   /* 8 bit */
#define GCLK_STATUS_SYNCBUSY    (1u << 7)
#define GCLK_CLKCTRL            (GCLK_BASE + 0x02u)   /* 16 bit; write ID byte first to read */
#define GCLK_CLKCTRL_ID(id)     ((uint16_t)(id))
#define GCLK_CLKCTRL_GEN(g)     ((uint16_t)((g) << 8))
#define GCLK_CLKCTRL_CLKEN      (1u << 14)
#define SAMD_SERCOM_GCLK_CORE { 0x14u, 0x15u, 0x16u, 0x17u, 0x18u, 0x19u }
#define SAMD_SERCOM_GCLK_SLOW   0x13u
#define SAMD_GCLK_GEN_CORE      2u
#define SAMD_GCLK_GEN_SLOW      1u

#define PM_BASE                 0x40000400u
#define SAMD_SERCOM_APB_REG { 0x20u, 0x20u, 0x20u, 0x20u, 0x20u, 0x20u }
#define SAMD_SERCOM_APB_BIT { 2u, 3u, 4u, 5u, 6u, 7u }
#define SAMD_APB_BASE           PM_BASE

#define PORT_BASE               0x41004400u

/* MicroPython's samd port runs TC4+TC5 as a free-running 32 bit microsecond
 * counter with continuous read synchronisation: COUNT reads directly. */
#define SAMD_US_TC_BASE         0x42003000u
#define TC_COUNT32              0x10u

#endif
