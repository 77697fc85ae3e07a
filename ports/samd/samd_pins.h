/*
 * Which SERCOM pad each pin reaches through pin function C or D, from the
 * I/O multiplexing tables of the SAM D5x/E5x and SAM D21 datasheets (PA and PB
 * pins; the SAMD51 J/G and SAMD21 G/J packages).  Pin numbers are
 * port * 32 + pin (PA00 = 0, PB00 = 32).  SDA is PAD0 and SCL is PAD1.
 */
#ifndef SAMD_PINS_H
#define SAMD_PINS_H

#include <stdint.h>

typedef struct {
    uint8_t pin;
    uint8_t mux_c;
    uint8_t mux_d;
} samd_pin_sercom_t;

#define SAMD_NO_SERCOM 0xFFu

#if defined(I2CT_SAMD51)
static const samd_pin_sercom_t samd_pin_sercoms[] = {
    /* pin, mux C (sercom << 4 | pad), mux D; 0xFF: none */
    {   0, 0xFF, 0x10 },  /* PA00 */
    {   1, 0xFF, 0x11 },  /* PA01 */
    {   4, 0xFF, 0x00 },  /* PA04 */
    {   5, 0xFF, 0x01 },  /* PA05 */
    {   6, 0xFF, 0x02 },  /* PA06 */
    {   7, 0xFF, 0x03 },  /* PA07 */
    {   8, 0x00, 0x21 },  /* PA08 */
    {   9, 0x01, 0x20 },  /* PA09 */
    {  10, 0x02, 0x22 },  /* PA10 */
    {  11, 0x03, 0x23 },  /* PA11 */
    {  12, 0x20, 0x41 },  /* PA12 */
    {  13, 0x21, 0x40 },  /* PA13 */
    {  14, 0x22, 0x42 },  /* PA14 */
    {  15, 0x23, 0x43 },  /* PA15 */
    {  16, 0x10, 0x31 },  /* PA16 */
    {  17, 0x11, 0x30 },  /* PA17 */
    {  18, 0x12, 0x32 },  /* PA18 */
    {  19, 0x13, 0x33 },  /* PA19 */
    {  20, 0x52, 0x32 },  /* PA20 */
    {  21, 0x53, 0x33 },  /* PA21 */
    {  22, 0x30, 0x51 },  /* PA22 */
    {  23, 0x31, 0x50 },  /* PA23 */
    {  24, 0x32, 0x52 },  /* PA24 */
    {  25, 0x33, 0x53 },  /* PA25 */
    {  30, 0x72, 0x12 },  /* PA30 */
    {  31, 0x73, 0x13 },  /* PA31 */
    {  32, 0xFF, 0x52 },  /* PB00 */
    {  33, 0xFF, 0x53 },  /* PB01 */
    {  34, 0xFF, 0x50 },  /* PB02 */
    {  35, 0xFF, 0x51 },  /* PB03 */
    {  40, 0xFF, 0x40 },  /* PB08 */
    {  41, 0xFF, 0x41 },  /* PB09 */
    {  42, 0xFF, 0x42 },  /* PB10 */
    {  43, 0xFF, 0x43 },  /* PB11 */
    {  44, 0x40, 0xFF },  /* PB12 */
    {  45, 0x41, 0xFF },  /* PB13 */
    {  46, 0x42, 0xFF },  /* PB14 */
    {  47, 0x43, 0xFF },  /* PB15 */
    {  48, 0x50, 0xFF },  /* PB16 */
    {  49, 0x51, 0xFF },  /* PB17 */
    {  50, 0x52, 0x72 },  /* PB18 */
    {  51, 0x53, 0x73 },  /* PB19 */
    {  52, 0x30, 0x71 },  /* PB20 */
    {  53, 0x31, 0x70 },  /* PB21 */
    {  54, 0x12, 0x52 },  /* PB22 */
    {  55, 0x13, 0x53 },  /* PB23 */
    {  56, 0x00, 0x21 },  /* PB24 */
    {  57, 0x01, 0x20 },  /* PB25 */
    {  58, 0x20, 0x41 },  /* PB26 */
    {  59, 0x21, 0x40 },  /* PB27 */
    {  60, 0x22, 0x42 },  /* PB28 */
    {  61, 0x23, 0x43 },  /* PB29 */
    {  62, 0x70, 0x51 },  /* PB30 */
    {  63, 0x71, 0x50 },  /* PB31 */
};
#elif defined(I2CT_SAMD21)
static const samd_pin_sercom_t samd_pin_sercoms[] = {
    /* pin, mux C (sercom << 4 | pad), mux D; 0xFF: none */
    {   0, 0xFF, 0x10 },  /* PA00 */
    {   1, 0xFF, 0x11 },  /* PA01 */
    {   4, 0xFF, 0x00 },  /* PA04 */
    {   5, 0xFF, 0x01 },  /* PA05 */
    {   6, 0xFF, 0x02 },  /* PA06 */
    {   7, 0xFF, 0x03 },  /* PA07 */
    {   8, 0x00, 0x20 },  /* PA08 */
    {   9, 0x01, 0x21 },  /* PA09 */
    {  10, 0x02, 0x22 },  /* PA10 */
    {  11, 0x03, 0x23 },  /* PA11 */
    {  12, 0x20, 0x40 },  /* PA12 */
    {  13, 0x21, 0x41 },  /* PA13 */
    {  14, 0x22, 0x42 },  /* PA14 */
    {  15, 0x23, 0x43 },  /* PA15 */
    {  16, 0x10, 0x30 },  /* PA16 */
    {  17, 0x11, 0x31 },  /* PA17 */
    {  18, 0x12, 0x32 },  /* PA18 */
    {  19, 0x13, 0x33 },  /* PA19 */
    {  20, 0x52, 0x32 },  /* PA20 */
    {  21, 0x53, 0x33 },  /* PA21 */
    {  22, 0x30, 0x50 },  /* PA22 */
    {  23, 0x31, 0x51 },  /* PA23 */
    {  24, 0x32, 0x52 },  /* PA24 */
    {  25, 0x33, 0x53 },  /* PA25 */
    {  30, 0xFF, 0x12 },  /* PA30 */
    {  31, 0xFF, 0x13 },  /* PA31 */
    {  32, 0xFF, 0x52 },  /* PB00 */
    {  33, 0xFF, 0x53 },  /* PB01 */
    {  34, 0xFF, 0x50 },  /* PB02 */
    {  35, 0xFF, 0x51 },  /* PB03 */
    {  40, 0xFF, 0x40 },  /* PB08 */
    {  41, 0xFF, 0x41 },  /* PB09 */
    {  42, 0xFF, 0x42 },  /* PB10 */
    {  43, 0xFF, 0x43 },  /* PB11 */
    {  44, 0x40, 0xFF },  /* PB12 */
    {  45, 0x41, 0xFF },  /* PB13 */
    {  46, 0x42, 0xFF },  /* PB14 */
    {  47, 0x43, 0xFF },  /* PB15 */
    {  48, 0x50, 0xFF },  /* PB16 */
    {  49, 0x51, 0xFF },  /* PB17 */
    {  54, 0xFF, 0x52 },  /* PB22 */
    {  55, 0xFF, 0x53 },  /* PB23 */
    {  62, 0xFF, 0x50 },  /* PB30 */
    {  63, 0xFF, 0x51 },  /* PB31 */
};
#else
#error "define I2CT_SAMD51 or I2CT_SAMD21"
#endif

#endif
