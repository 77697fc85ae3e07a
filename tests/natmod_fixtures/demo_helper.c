/* Test fixture: the second object of the demo module (cross-object calls and
 * data; division that needs libgcc on armv6m). */
int demo_calls;

int demo_helper_mix(int a, int b) {
    return a * 3 + b;
}

unsigned demo_helper_div(unsigned a, unsigned b) {
    if (b == 0) {
        return 0;
    }
    return a / b + a % b * 1000u;
}
