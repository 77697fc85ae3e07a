/*
 * RP2040 / RP2350: where the I2C blocks, their resets, pins and interrupt
 * lines are.  Values from the RP2040 and RP2350 datasheets (address map,
 * RESETS bit list, IO_BANK0 / PADS_BANK0 register lists, interrupt table).
 * Build with -DI2CT_RP2040 or -DI2CT_RP2350.
 */
#ifndef RP2_REGS_H
#define RP2_REGS_H

#if defined(I2CT_RP2040)
#define RP2_PORT_ID             I2CT_PORT_RP2040
#define RP2_I2C0_BASE           0x40044000u
#define RP2_I2C1_BASE           0x40048000u
#define RP2_RESETS_BASE         0x4000C000u
#define RP2_IO_BANK0_BASE       0x40014000u
#define RP2_PADS_BANK0_BASE     0x4001C000u
#define RP2_TIMER_BASE          0x40054000u
#define RP2_RESET_I2C0          (1u << 3)
#define RP2_RESET_I2C1          (1u << 4)
#define RP2_I2C0_IRQ            23u
#define RP2_I2C1_IRQ            24u
#define RP2_GPIO_COUNT          30u
/* 16 exceptions + 32 external lines = 192 bytes: VTOR alignment 256. */
#define RP2_VECTOR_COUNT        (16u + 32u)
#define RP2_VECTOR_ALIGN        256u
/* MicroPython's rp2 port runs clk_sys at 125 MHz; the I2C block runs on it. */
#define RP2_CLK_SYS_MHZ         125u
#define RP2_PAD_ISO             0u      /* no pad isolation latch on RP2040 */
#elif defined(I2CT_RP2350)
#define RP2_PORT_ID             I2CT_PORT_RP2350
#define RP2_I2C0_BASE           0x40090000u
#define RP2_I2C1_BASE           0x40098000u
#define RP2_RESETS_BASE         0x40020000u
#define RP2_IO_BANK0_BASE       0x40028000u
#define RP2_PADS_BANK0_BASE     0x40038000u
#define RP2_TIMER_BASE          0x400B0000u     /* TIMER0: the SDK's default timer */
#define RP2_RESET_I2C0          (1u << 4)
#define RP2_RESET_I2C1          (1u << 5)
#define RP2_I2C0_IRQ            36u
#define RP2_I2C1_IRQ            37u
#define RP2_GPIO_COUNT          48u             /* RP2350B; RP2350A bonds out 0..29 */
/* 16 exceptions + 52 external lines = 272 bytes: VTOR alignment 512. */
#define RP2_VECTOR_COUNT        (16u + 52u)
#define RP2_VECTOR_ALIGN        512u
#define RP2_CLK_SYS_MHZ         150u
#define RP2_PAD_ISO             (1u << 8)       /* pads come out of reset isolated */
#else
#error "build with -DI2CT_RP2040 or -DI2CT_RP2350"
#endif

/* SRAM starts here on both chips; a VTOR below it points at ROM or flash. */
#define RP2_SRAM_BASE           0x20000000u

/* Atomic register aliases (every APB peripheral): write-1-to-set / -clear. */
#define RP2_ALIAS_SET           0x2000u
#define RP2_ALIAS_CLR           0x3000u

#define RESETS_RESET            0x00u
#define RESETS_RESET_DONE       0x08u

/* IO_BANK0: GPIOn_CTRL at 4 + 8n; FUNCSEL in bits 4:0, 3 = I2C on every pin
 * (GPIO 4k: I2C0 SDA, 4k+1: I2C0 SCL, 4k+2: I2C1 SDA, 4k+3: I2C1 SCL). */
#define IO_GPIO_CTRL(n)         (RP2_IO_BANK0_BASE + 4u + 8u * (unsigned)(n))
#define IO_CTRL_FUNCSEL_MASK    0x1Fu
#define IO_FUNCSEL_I2C          3u

/* PADS_BANK0: GPIOn at 4 + 4n. */
#define PADS_GPIO(n)            (RP2_PADS_BANK0_BASE + 4u + 4u * (unsigned)(n))
#define PADS_SLEWFAST           (1u << 0)
#define PADS_SCHMITT            (1u << 1)
#define PADS_PDE                (1u << 2)
#define PADS_PUE                (1u << 3)
#define PADS_IE                 (1u << 6)
#define PADS_OD                 (1u << 7)

/* TIMER: raw low word of the 1 MHz counter, no latching side effect. */
#define TIMER_TIMERAWL          0x28u

#endif
