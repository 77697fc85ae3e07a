/*
 * Cortex-M vector table and NVIC services (see cortexm_irq.h).
 */
#include "cortexm_irq.h"

#define REG32(a) (*(volatile uint32_t *)(uintptr_t)(a))
#define NVIC_WORD(reg, irq) ((reg) + 4u * ((irq) >> 5))
#define NVIC_BIT(irq) (1u << ((irq) & 31u))

/* One block, so each function reaches all of it from one address. */
static struct {
    uint32_t *table;        /* the table we patch: our copy or a RAM table */
    uint32_t vtor_before;   /* VTOR at the first claim */
    uint32_t users;         /* claims not yet released */
    uint32_t copied;        /* VTOR was switched to our copy */
} vectors;

void cortexm_vectors_claim(const cortexm_vector_layout_t *layout) {
    if (vectors.users == 0) {
        vectors.vtor_before = REG32(CORTEXM_SCB_VTOR);
        if (vectors.vtor_before >= layout->ram_first && vectors.vtor_before <= layout->ram_last) {
            vectors.table = (uint32_t *)(uintptr_t)vectors.vtor_before;
            vectors.copied = 0;
        } else {
            uintptr_t align = layout->align;
            uint32_t *copy = (uint32_t *)(((uintptr_t)layout->space + align - 1u) & ~(align - 1u));
            const uint32_t *from = (const uint32_t *)(uintptr_t)vectors.vtor_before;
            for (unsigned i = 0; i < layout->count; i++) {
                copy[i] = from[i];
            }
            cortexm_barrier();
            REG32(CORTEXM_SCB_VTOR) = (uint32_t)(uintptr_t)copy;
            cortexm_barrier();
            vectors.table = copy;
            vectors.copied = 1;
        }
    }
    vectors.users++;
}

void cortexm_vectors_release(void) {
    if (vectors.users == 0) {
        return;
    }
    vectors.users--;
    if (vectors.users == 0 && vectors.copied) {
        if (REG32(CORTEXM_SCB_VTOR) == (uint32_t)(uintptr_t)vectors.table) {
            REG32(CORTEXM_SCB_VTOR) = vectors.vtor_before;
            cortexm_barrier();
        }
        vectors.copied = 0;
    }
}

/* The bodies, written once: the public single-step functions and the
 * attach / detach pair (what the drivers call) each inline them, so a driver
 * pays for one call per line, not four. */
#define ALWAYS_INLINE static inline __attribute__((always_inline))

ALWAYS_INLINE uint32_t vector_swap(unsigned irq, uint32_t entry) {
    uint32_t *slot = &vectors.table[CORTEXM_SYSTEM_VECTORS + irq];
    uint32_t before = *slot;
    *slot = entry;
    cortexm_barrier();
    return before;
}

ALWAYS_INLINE void nvic_set_priority(unsigned irq, uint8_t priority) {
    /* Word access: ARMv6-M has no byte access to IPR. */
    uint32_t addr = CORTEXM_NVIC_IPR + (irq & ~3u);
    unsigned shift = (irq & 3u) * 8u;
    REG32(addr) = (REG32(addr) & ~(0xFFu << shift)) | ((uint32_t)priority << shift);
}

ALWAYS_INLINE void nvic_enable(unsigned irq) {
    REG32(NVIC_WORD(CORTEXM_NVIC_ICPR, irq)) = NVIC_BIT(irq);
    REG32(NVIC_WORD(CORTEXM_NVIC_ISER, irq)) = NVIC_BIT(irq);
}

ALWAYS_INLINE void nvic_disable(unsigned irq) {
    REG32(NVIC_WORD(CORTEXM_NVIC_ICER, irq)) = NVIC_BIT(irq);
    cortexm_barrier();
    REG32(NVIC_WORD(CORTEXM_NVIC_ICPR, irq)) = NVIC_BIT(irq);
}

uint32_t cortexm_vector_patch(unsigned irq, cortexm_handler_t handler) {
    return vector_swap(irq, (uint32_t)(uintptr_t)handler);
}

void cortexm_vector_restore(unsigned irq, uint32_t saved) {
    (void)vector_swap(irq, saved);
}

void cortexm_nvic_set_priority(unsigned irq, uint8_t priority) {
    nvic_set_priority(irq, priority);
}

void cortexm_nvic_enable(unsigned irq) {
    nvic_enable(irq);
}

void cortexm_nvic_disable(unsigned irq) {
    nvic_disable(irq);
}

uint32_t cortexm_irq_attach(unsigned irq, cortexm_handler_t handler, uint8_t priority) {
    uint32_t saved = vector_swap(irq, (uint32_t)(uintptr_t)handler);
    nvic_set_priority(irq, priority);
    nvic_enable(irq);
    return saved;
}

void cortexm_irq_detach(unsigned irq, uint32_t saved) {
    nvic_disable(irq);
    (void)vector_swap(irq, saved);
}
