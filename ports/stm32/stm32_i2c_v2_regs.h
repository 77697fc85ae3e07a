/* STM32 I2C v2 (F0/F3/F7/L0/L4/G0/G4/H7/WB) registers, from RM0385 / RM0351. */
#ifndef I2CT_STM32_I2C_V2_REGS_H
#define I2CT_STM32_I2C_V2_REGS_H

#define I2C2_CR1      0x00u
#define I2C2_CR2      0x04u
#define I2C2_OAR1     0x08u
#define I2C2_OAR2     0x0Cu
#define I2C2_TIMINGR  0x10u
#define I2C2_TIMEOUTR 0x14u
#define I2C2_ISR      0x18u
#define I2C2_ICR      0x1Cu
#define I2C2_RXDR     0x24u
#define I2C2_TXDR     0x28u

#define CR1_PE        (1u << 0)
#define CR1_TXIE      (1u << 1)
#define CR1_RXIE      (1u << 2)
#define CR1_ADDRIE    (1u << 3)
#define CR1_NACKIE    (1u << 4)
#define CR1_STOPIE    (1u << 5)
#define CR1_TCIE      (1u << 6)     /* TC and TCR */
#define CR1_ERRIE     (1u << 7)
#define CR1_SBC       (1u << 16)
#define CR1_NOSTRETCH (1u << 17)

#define CR2_NACK      (1u << 15)
#define CR2_NBYTES(n) ((uint32_t)(n) << 16)
#define CR2_RELOAD    (1u << 24)

#define OAR1_OA1(a)   ((uint32_t)(a) << 1)
#define OAR1_OA1EN    (1u << 15)
#define OAR2_OA2(a)   ((uint32_t)(a) << 1)
#define OAR2_OA2MSK(m) ((uint32_t)(m) << 8)
#define OAR2_OA2EN    (1u << 15)

#define TIMINGR_PRESC(p)  ((uint32_t)(p) << 28)
#define TIMINGR_SCLDEL(s) ((uint32_t)(s) << 20)
#define TIMINGR_SDADEL(s) ((uint32_t)(s) << 16)

#define TIMEOUTR_TIMEOUTA(a) ((uint32_t)(a))
#define TIMEOUTR_TIMOUTEN    (1u << 15)

#define ISR_TXE       (1u << 0)
#define ISR_TXIS      (1u << 1)
#define ISR_RXNE      (1u << 2)
#define ISR_ADDR      (1u << 3)
#define ISR_NACKF     (1u << 4)
#define ISR_STOPF     (1u << 5)
#define ISR_TCR       (1u << 7)
#define ISR_BERR      (1u << 8)
#define ISR_ARLO      (1u << 9)
#define ISR_OVR       (1u << 10)
#define ISR_TIMEOUT   (1u << 12)
#define ISR_DIR       (1u << 16)
#define ISR_ADDCODE(isr) (((isr) >> 17) & 0x7Fu)

#define ICR_ADDRCF    (1u << 3)
#define ICR_NACKCF    (1u << 4)
#define ICR_STOPCF    (1u << 5)
#define ICR_BERRCF    (1u << 8)
#define ICR_ARLOCF    (1u << 9)
#define ICR_OVRCF     (1u << 10)
#define ICR_TIMOUTCF  (1u << 12)

#endif
