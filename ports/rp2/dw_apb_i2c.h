/*
 * DW_apb_i2c (the I2C block of RP2040 and RP2350): register offsets and bit
 * positions used in target ("slave") mode.  Checked against the RP2040 and
 * RP2350 datasheets' I2C register lists; the block is the same on both.
 * Offsets are from an instance's base address.
 */
#ifndef RP2_DW_APB_I2C_H
#define RP2_DW_APB_I2C_H

#define IC_CON                  0x00u   /* writable only while IC_ENABLE=0 */
#define IC_SAR                  0x08u   /* writable only while IC_ENABLE=0 */
#define IC_DATA_CMD             0x10u
#define IC_INTR_STAT            0x2Cu   /* RAW_INTR_STAT & INTR_MASK */
#define IC_INTR_MASK            0x30u
#define IC_RAW_INTR_STAT        0x34u
#define IC_RX_TL                0x38u
#define IC_TX_TL                0x3Cu
#define IC_CLR_INTR             0x40u   /* every IC_CLR_* is read-to-clear */
#define IC_CLR_RD_REQ           0x50u
#define IC_CLR_TX_ABRT          0x54u
#define IC_CLR_RX_DONE          0x58u
#define IC_CLR_STOP_DET         0x60u
#define IC_CLR_START_DET        0x64u
#define IC_ENABLE               0x6Cu
#define IC_STATUS               0x70u
#define IC_TXFLR                0x74u
#define IC_RXFLR                0x78u
#define IC_SDA_HOLD             0x7Cu
#define IC_TX_ABRT_SOURCE       0x80u
#define IC_SLV_DATA_NACK_ONLY   0x84u
#define IC_ACK_GENERAL_CALL     0x98u
#define IC_ENABLE_STATUS        0x9Cu
#define IC_FS_SPKLEN            0xA0u   /* writable only while IC_ENABLE=0 */
#define IC_CLR_RESTART_DET      0xA8u

/* IC_CON */
#define IC_CON_MASTER_MODE              (1u << 0)
#define IC_CON_SPEED_FAST               (2u << 1)   /* also selects the spike filter */
#define IC_CON_IC_RESTART_EN            (1u << 5)
#define IC_CON_IC_SLAVE_DISABLE         (1u << 6)
#define IC_CON_STOP_DET_IFADDRESSED     (1u << 7)
#define IC_CON_RX_FIFO_FULL_HLD_CTRL    (1u << 9)

/* IC_DATA_CMD (read side) */
#define IC_DATA_CMD_DAT_MASK            0xFFu
#define IC_DATA_CMD_FIRST_DATA_BYTE     (1u << 11)  /* first byte after an address */

/* IC_INTR_STAT / IC_INTR_MASK / IC_RAW_INTR_STAT */
#define IC_INTR_RX_UNDER        (1u << 0)
#define IC_INTR_RX_OVER         (1u << 1)
#define IC_INTR_RX_FULL         (1u << 2)   /* level: RXFLR > IC_RX_TL */
#define IC_INTR_TX_OVER         (1u << 3)
#define IC_INTR_TX_EMPTY        (1u << 4)
#define IC_INTR_RD_REQ          (1u << 5)   /* SCL held until the TX FIFO has a byte */
#define IC_INTR_TX_ABRT         (1u << 6)   /* FIFOs flushed until IC_CLR_TX_ABRT is read */
#define IC_INTR_RX_DONE         (1u << 7)   /* controller NACKed the byte we sent */
#define IC_INTR_ACTIVITY        (1u << 8)
#define IC_INTR_STOP_DET        (1u << 9)
#define IC_INTR_START_DET       (1u << 10)
#define IC_INTR_GEN_CALL        (1u << 11)
#define IC_INTR_RESTART_DET     (1u << 12)  /* repeated START while addressed */

/* IC_ENABLE / IC_ENABLE_STATUS */
#define IC_ENABLE_ENABLE        (1u << 0)
#define IC_ENABLE_STATUS_IC_EN  (1u << 0)

/* IC_STATUS */
#define IC_STATUS_RFNE          (1u << 3)
#define IC_STATUS_SLV_ACTIVITY  (1u << 6)

/* IC_TX_ABRT_SOURCE, target-transmitter causes */
#define ABRT_ARB_LOST           (1u << 12)
#define ABRT_SLVFLUSH_TXFIFO    (1u << 13)  /* stale TX data flushed at a read request */
#define ABRT_SLV_ARBLOST        (1u << 14)  /* lost the bus while sending */
#define ABRT_SLVRD_INTX         (1u << 15)  /* CMD=1 written in target mode */

#endif
