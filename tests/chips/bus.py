"""The results of a register model's bus side (address, write_byte,
read_byte, poll, ...), the same ints as ports/sim/sim_port.h, so one
controller-side scenario drives any model (and the host library)."""
ACK, NACK, HOLD, SENT = 0, 1, 2, 0x100
