/* STM32 I2C v1 (F1/F2/F4/L1) registers, from RM0090 section 27.6. */
#ifndef I2CT_STM32_I2C_V1_REGS_H
#define I2CT_STM32_I2C_V1_REGS_H

#define I2C1_CR1   0x00u
#define I2C1_CR2   0x04u
#define I2C1_OAR1  0x08u
#define I2C1_OAR2  0x0Cu
#define I2C1_DR    0x10u
#define I2C1_SR1   0x14u
#define I2C1_SR2   0x18u

#define CR1_PE        (1u << 0)
#define CR1_NOSTRETCH (1u << 7)
#define CR1_ACK       (1u << 10)
#define CR1_SWRST     (1u << 15)

#define CR2_FREQ(mhz) ((mhz) & 0x3Fu)
#define CR2_ITERREN   (1u << 8)
#define CR2_ITEVTEN   (1u << 9)
#define CR2_ITBUFEN   (1u << 10)

#define OAR1_ADD7(a)  ((uint32_t)(a) << 1)
#define OAR1_BIT14    (1u << 14)       /* must be kept at 1 by software */
#define OAR2_ENDUAL   (1u << 0)
#define OAR2_ADD2(a)  ((uint32_t)(a) << 1)

#define SR1_ADDR      (1u << 1)
#define SR1_BTF       (1u << 2)
#define SR1_STOPF     (1u << 4)
#define SR1_RXNE      (1u << 6)
#define SR1_TXE       (1u << 7)
#define SR1_BERR      (1u << 8)
#define SR1_ARLO      (1u << 9)
#define SR1_AF        (1u << 10)
#define SR1_OVR       (1u << 11)
#define SR1_TIMEOUT   (1u << 14)
/* Error flags: cleared by writing 0 (writing 1 leaves them alone). */
#define SR1_ERRORS    (SR1_BERR | SR1_ARLO | SR1_AF | SR1_OVR | SR1_TIMEOUT | (1u << 12) | (1u << 15))

#define SR2_TRA       (1u << 2)
#define SR2_DUALF     (1u << 7)

#endif
