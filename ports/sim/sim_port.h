/*
 * The simulator port: its "hardware" is a bus model in Python.  The bus model
 * plays the controller and calls these functions exactly where a chip's
 * interrupt would fire; they call the same engine entry points a chip's
 * interrupt handler calls.  A held byte stays held until the engine calls a
 * release hook (from Python's read/write/ack/close, or a timeout); the bus
 * model learns the outcome through i2ct_sim_poll().
 */
#ifndef I2CT_SIM_PORT_H
#define I2CT_SIM_PORT_H

#include "../../natmod/i2ct_glue.h"

/* Result encoding of the sim bus functions (ints for ctypes / natmod). */
#define I2CT_SIM_ACK      0      /* address or byte ACKed */
#define I2CT_SIM_NACK     1      /* NACKed */
#define I2CT_SIM_HOLD     2      /* SCL held low: poll until released */
#define I2CT_SIM_SENT     0x100  /* | byte: the target drove this byte */
#define I2CT_SIM_CLOSED   (-1)   /* target not open */

int i2ct_sim_address(int t, int address, int is_read, int restart);
int i2ct_sim_write_byte(int t, int byte);
int i2ct_sim_read_byte(int t);
int i2ct_sim_controller_nack(int t);
int i2ct_sim_stop(int t);
int i2ct_sim_bus_error(int t);
/* Outcome of the current hold: I2CT_SIM_HOLD while still held, else the
 * same encoding the call that held would have returned. */
int i2ct_sim_poll(int t);
/* The simulated microsecond clock (all targets share it). */
int i2ct_sim_set_time(int us);

#endif
