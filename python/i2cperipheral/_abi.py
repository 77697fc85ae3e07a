# The glue ABI as Python sees it: the values of natmod/engine/i2ct_engine.h,
# natmod/i2ct_glue.h and ports/sim/sim_port.h (the C headers are the source
# of truth; tests/test_abi_constants.py checks this file against them).
ABI_VERSION = 1

# Port identifiers (i2ct_port()).
PORT_SIM = 0
PORT_SAMD51 = 1
PORT_SAMD21 = 2
PORT_RP2040 = 3
PORT_RP2350 = 4
PORT_STM32_V1 = 5
PORT_STM32_V2 = 6

# Segment flags, packed with the address into request() / status().
SEG_READ = 0x0100
SEG_RESTART = 0x0200
SEG_ENDED = 0x0400
SEG_CLOSED = 0x0800
SEG_HELD = 0x1000
SEG_ACK_WAIT = 0x2000
SEG_CTRL_NACK = 0x4000
SEG_TIMEOUT = 0x8000
SEG_BUS_ERROR = 0x10000
SEG_NACKED = 0x20000

# Error codes.
E_INVAL = -1
E_NOSPC = -2
E_EXIST = -3
E_NOENT = -4
E_STATE = -5
PORT_EPIN = -20
PORT_EBUSY = -21
PORT_EADDR = -22
PORT_EINST = -23
PORT_ESTATE = -24

# Counter indices, for counter().
CNT_BYTES_IN = 0
CNT_BYTES_OUT = 1
CNT_NACKS = 2
CNT_FILLER = 3
CNT_TIMEOUTS = 4
CNT_BUS_ERRORS = 5
CNT_OVERRUNS = 6
CNT_RX_DROPPED = 7
CNT_TX_UNSENT = 8
CNT_SEGMENTS = 9
CNT_ADDR_NACKS = 10
CNT_REG_WRITES = 11
CNT_RX_UNREAD = 12
CNT_COUNT = 13
COUNTER_NAMES = (
    "bytes_in", "bytes_out", "nacks", "filler", "timeouts", "bus_errors", "overruns",
    "rx_dropped", "tx_unsent", "segments", "address_nacks", "register_writes", "rx_unread",
)

# configure() keys, open() flags, set_regmap() flags.
CFG_MAX_STRETCH_US = 0
CFG_FILLER = 1
OPEN_SMBUS = 0x01
REG_INDEX16 = 0x01
REG_NO_WRAP = 0x02

# Results of the sim port's bus functions.
SIM_ACK = 0
SIM_NACK = 1
SIM_HOLD = 2
SIM_SENT = 0x100
SIM_CLOSED = -1

# Compile-time sizes.
MAX_ADDRESSES = 8
MAX_REGMAPS = 4
MAX_TARGETS = 2
QUEUE_LEN = 8
RX_SIZE = 128
TX_SIZE = 64
