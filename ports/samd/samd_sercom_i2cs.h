/*
 * SERCOM in I2C target ("I2CS") mode: register offsets and bit positions
 * shared by SAM D21 and SAM D5x/E5x (checked against both datasheets'
 * SERCOM I2C register summaries).  Offsets are from the SERCOM base.
 */
#ifndef SAMD_SERCOM_I2CS_H
#define SAMD_SERCOM_I2CS_H

#define I2CS_CTRLA      0x00u   /* 32 bit */
#define I2CS_CTRLB      0x04u   /* 32 bit */
#define I2CS_INTENCLR   0x14u   /* 8 bit */
#define I2CS_INTENSET   0x16u   /* 8 bit */
#define I2CS_INTFLAG    0x18u   /* 8 bit, write 1 to clear */
#define I2CS_STATUS     0x1Au   /* 16 bit, error bits write 1 to clear */
#define I2CS_SYNCBUSY   0x1Cu   /* 32 bit */
#define I2CS_ADDR       0x24u   /* 32 bit */
#define I2CS_DATA       0x28u   /* 8 bit on D21, 32 bit on D5x; we use byte access */

/* CTRLA */
#define I2CS_CTRLA_SWRST        (1u << 0)
#define I2CS_CTRLA_ENABLE       (1u << 1)
#define I2CS_CTRLA_MODE_I2CS    (4u << 2)
#define I2CS_CTRLA_MODE_MASK    (7u << 2)
#define I2CS_CTRLA_SDAHOLD(x)   ((uint32_t)(x) << 20)
#define I2CS_CTRLA_SEXTTOEN     (1u << 23)
#define I2CS_CTRLA_SPEED(x)     ((uint32_t)(x) << 24)
/* 0: SCL is held before the ACK bit of every byte, so each ACK/NACK is chosen
 * after the byte is seen; 1 would hold only after the ACK, with ACKACT fixed
 * in advance.  The driver keeps 0. */
#define I2CS_CTRLA_SCLSM        (1u << 27)
#define I2CS_CTRLA_LOWTOUTEN    (1u << 30)

/* CTRLB */
#define I2CS_CTRLB_SMEN         (1u << 8)
#define I2CS_CTRLB_AACKEN       (1u << 10)
#define I2CS_CTRLB_AMODE(x)     ((uint32_t)(x) << 14)
#define I2CS_AMODE_MASK         0u   /* ADDR with ADDRMASK as don't-care bits */
#define I2CS_AMODE_2_ADDRS      1u   /* ADDR or ADDRMASK */
#define I2CS_AMODE_RANGE        2u   /* ADDR (lower) .. ADDRMASK (upper) */
#define I2CS_CTRLB_CMD(x)       ((uint32_t)(x) << 16)
/* CMD 2: ACK action, then wait for a (repeated) START.
 * CMD 3: ACK action, then the next byte (receive) or DRDY for the next byte
 * to send (transmit). */
#define I2CS_CMD_WAIT_START     2u
#define I2CS_CMD_CONTINUE       3u
#define I2CS_CTRLB_ACKACT       (1u << 18)   /* 1: NACK */

/* INTFLAG / INTENSET / INTENCLR */
#define I2CS_INT_PREC           (1u << 0)    /* STOP received */
#define I2CS_INT_AMATCH         (1u << 1)    /* address matched, SCL held */
#define I2CS_INT_DRDY           (1u << 2)    /* byte in / byte wanted, SCL held */
#define I2CS_INT_ERROR          (1u << 7)
#define I2CS_INT_ALL            (I2CS_INT_PREC | I2CS_INT_AMATCH | I2CS_INT_DRDY | I2CS_INT_ERROR)

/* STATUS */
#define I2CS_STATUS_BUSERR      (1u << 0)
#define I2CS_STATUS_COLL        (1u << 1)
#define I2CS_STATUS_RXNACK      (1u << 2)
#define I2CS_STATUS_DIR         (1u << 3)    /* 1: controller reads */
#define I2CS_STATUS_SR          (1u << 4)    /* repeated START */
#define I2CS_STATUS_LOWTOUT     (1u << 6)
#define I2CS_STATUS_CLKHOLD     (1u << 7)
#define I2CS_STATUS_SEXTTOUT    (1u << 9)
#define I2CS_STATUS_ERRORS      (I2CS_STATUS_BUSERR | I2CS_STATUS_COLL | I2CS_STATUS_LOWTOUT \
    | I2CS_STATUS_SEXTTOUT)

/* SYNCBUSY */
#define I2CS_SYNCBUSY_SWRST     (1u << 0)
#define I2CS_SYNCBUSY_ENABLE    (1u << 1)

/* ADDR */
#define I2CS_ADDR_ADDR(a)       ((uint32_t)(a) << 1)
#define I2CS_ADDR_ADDRMASK(m)   ((uint32_t)(m) << 17)

/* PORT group layout (same on both). */
#define PORT_GROUP_STRIDE       0x80u
#define PORT_PMUX               0x30u   /* 8 bit each, two pins per byte */
#define PORT_PINCFG             0x40u   /* 8 bit each */
#define PORT_PINCFG_PMUXEN      (1u << 0)
#define PORT_PINCFG_INEN        (1u << 1)
#define PORT_MUX_C              2u
#define PORT_MUX_D              3u

#endif
