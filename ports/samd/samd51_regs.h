/*
 * SAM D5x/E5x (SAMD51): where the SERCOMs, their clocks and interrupt lines
 * are.  Values from the SAM D5x/E5x datasheet (DS60001507): product mapping,
 * GCLK peripheral channel table, MCLK APBxMASK bits, NVIC line table.
 */
#ifndef SAMD51_REGS_H
#define SAMD51_REGS_H

#define SAMD_SERCOM_COUNT       8
#define SAMD_IRQ_LINES_PER_SERCOM 4   /* _0: PREC, _1: AMATCH, _2: DRDY, _3: the rest */
#define SAMD_CPU_HZ             120000000u
/* Exceptions 0..15 then 138 external lines (the largest SAMD51 parts). */
#define SAMD_VECTOR_COUNT       (16 + 138)
#define SAMD_VECTOR_ALIGN       1024u     /* next power of two of the table size */
#define SAMD_FLASH_END          0x00200000u

#define SAMD_SERCOM_BASES { 0x40003000u, 0x40003400u, 0x41012000u, 0x41014000u, \
    0x43000000u, 0x43000400u, 0x43000800u, 0x43000C00u }
/* SERCOMn_0 line; _1.._3 follow. */
#define SAMD_SERCOM_IRQ0(n)     (46u + 4u * (unsigned)(n))

#define GCLK_BASE               0x40001C00u
#define GCLK_PCHCTRL(id)        (GCLK_BASE + 0x80u + 4u * (unsigned)(id))
#define GCLK_PCHCTRL_GEN(g)     ((uint32_t)(g) << 0)
#define GCLK_PCHCTRL_CHEN       (1u << 6)
#define SAMD_SERCOM_GCLK_CORE { 7u, 8u, 23u, 24u, 34u, 35u, 36u, 37u }
#define SAMD_SERCOM_GCLK_SLOW   3u     /* shared by all SERCOMs */
/* MicroPython's samd port: GCLK2 = 48 MHz peripheral clock, GCLK1 = 32 kHz. */
#define SAMD_GCLK_GEN_CORE      2u
#define SAMD_GCLK_GEN_SLOW      1u

#define MCLK_BASE               0x40000800u
/* APB mask register offset and bit for each SERCOM. */
#define SAMD_SERCOM_APB_REG { 0x14u, 0x14u, 0x18u, 0x18u, 0x20u, 0x20u, 0x20u, 0x20u }
#define SAMD_SERCOM_APB_BIT { 12u, 13u, 9u, 10u, 0u, 1u, 2u, 3u }
#define SAMD_APB_BASE           MCLK_BASE

#define PORT_BASE               0x41008000u

/* MicroPython's samd port runs TC0+TC1 as a free-running 32 bit microsecond
 * counter; reading COUNT needs a READSYNC command first. */
#define SAMD_US_TC_BASE         0x40003800u
#define TC_CTRLBSET             0x05u
#define TC_CTRLBSET_CMD_READSYNC (4u << 5)
#define TC_SYNCBUSY             0x10u
#define TC_SYNCBUSY_COUNT       (1u << 4)
#define TC_COUNT32              0x14u

#endif
