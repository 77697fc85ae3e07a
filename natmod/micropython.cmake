# natmod/ as a MicroPython user C module (CMake-based ports: rp2):
#   make -C ports/rp2 BOARD=RPI_PICO USER_C_MODULES=/path/to/repo/natmod/micropython.cmake
# The driver follows PICO_PLATFORM (rp2040, rp2350-arm-s); set I2CT_PORT
# (sim, rp2040, rp2350, null) to override.

set(I2CT_DIR ${CMAKE_CURRENT_LIST_DIR})
get_filename_component(I2CT_ROOT ${CMAKE_CURRENT_LIST_DIR}/.. ABSOLUTE)

if(NOT I2CT_PORT)
    if(PICO_PLATFORM STREQUAL "rp2040")
        set(I2CT_PORT rp2040)
    elseif(PICO_PLATFORM MATCHES "^rp2350-arm")
        set(I2CT_PORT rp2350)
    else()
        message(FATAL_ERROR "i2cperipheral: no I2C target driver for this port "
            "(PICO_PLATFORM '${PICO_PLATFORM}'); set I2CT_PORT to sim, rp2040, rp2350 or null. "
            "ESP32 and RISC-V builds use the machine.I2CTarget backend instead.")
    endif()
endif()

if(I2CT_PORT STREQUAL "rp2040")
    set(I2CT_PORT_SRC ${I2CT_ROOT}/ports/rp2/rp2_i2ct.c ${I2CT_ROOT}/ports/cortexm/cortexm_irq.c)
    set(I2CT_PORT_DEF I2CT_RP2040)
elseif(I2CT_PORT STREQUAL "rp2350")
    set(I2CT_PORT_SRC ${I2CT_ROOT}/ports/rp2/rp2_i2ct.c ${I2CT_ROOT}/ports/cortexm/cortexm_irq.c)
    set(I2CT_PORT_DEF I2CT_RP2350)
elseif(I2CT_PORT STREQUAL "sim")
    set(I2CT_PORT_SRC ${I2CT_ROOT}/ports/sim/sim_port.c)
    set(I2CT_PORT_DEF I2CT_WITH_SIM)
elseif(I2CT_PORT STREQUAL "null")
    set(I2CT_PORT_SRC ${I2CT_ROOT}/tests/natmod_fixtures/null_port.c)
    set(I2CT_PORT_DEF I2CT_NULL_PORT)
else()
    message(FATAL_ERROR "i2cperipheral: unknown I2CT_PORT '${I2CT_PORT}' "
        "(sim, rp2040, rp2350, null)")
endif()

add_library(usermod_i2ct INTERFACE)
target_sources(usermod_i2ct INTERFACE
    ${I2CT_DIR}/usermod_glue.c
    ${I2CT_DIR}/i2ct_glue.c
    ${I2CT_DIR}/engine/i2ct_engine.c
    ${I2CT_PORT_SRC}
)
target_include_directories(usermod_i2ct INTERFACE ${I2CT_DIR})
target_compile_definitions(usermod_i2ct INTERFACE ${I2CT_PORT_DEF})
target_link_libraries(usermod INTERFACE usermod_i2ct)
