# The part of `unittest` the device suite uses, for interpreters without
# micropython-lib's unittest (the unix `micropython` on a PC without network:
# `mip install unittest` needs micropython-lib).  The test files import it
# only when `import unittest` fails; on a board, install the real one:
#     mpremote mip install unittest
# Runs on MicroPython and CPython: no f-strings, no typing.


class SkipTest(Exception):
    """Raised by skipTest(): the case cannot run here (counted as skipped)."""


class _Raises:
    def __init__(self, case, expected):
        self.case = case
        self.expected = expected
        self.exception = None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.case.fail("%s not raised" % getattr(self.expected, "__name__", self.expected))
        if not issubclass(exc_type, self.expected):
            return False  # a different exception: let it through
        self.exception = exc
        return True


class TestCase:
    def setUp(self):
        pass

    def tearDown(self):
        pass

    @classmethod
    def setUpClass(cls):
        pass

    @classmethod
    def tearDownClass(cls):
        pass

    def skipTest(self, reason):
        raise SkipTest(reason)

    def fail(self, msg="failed"):
        raise AssertionError(msg)

    def _check(self, ok, default, msg):
        if not ok:
            raise AssertionError(msg if msg is not None else default)

    def assertTrue(self, x, msg=None):
        self._check(x, "%r is not true" % (x,), msg)

    def assertFalse(self, x, msg=None):
        self._check(not x, "%r is not false" % (x,), msg)

    def assertEqual(self, a, b, msg=None):
        self._check(a == b, "%r != %r" % (a, b), msg)

    def assertNotEqual(self, a, b, msg=None):
        self._check(a != b, "%r == %r" % (a, b), msg)

    def assertIs(self, a, b, msg=None):
        self._check(a is b, "%r is not %r" % (a, b), msg)

    def assertIsNone(self, x, msg=None):
        self._check(x is None, "%r is not None" % (x,), msg)

    def assertIsNotNone(self, x, msg=None):
        self._check(x is not None, "unexpectedly None", msg)

    def assertIn(self, a, b, msg=None):
        self._check(a in b, "%r not in %r" % (a, b), msg)

    def assertNotIn(self, a, b, msg=None):
        self._check(a not in b, "%r unexpectedly in %r" % (a, b), msg)

    def assertLess(self, a, b, msg=None):
        self._check(a < b, "%r not less than %r" % (a, b), msg)

    def assertLessEqual(self, a, b, msg=None):
        self._check(a <= b, "%r not less than or equal to %r" % (a, b), msg)

    def assertGreater(self, a, b, msg=None):
        self._check(a > b, "%r not greater than %r" % (a, b), msg)

    def assertGreaterEqual(self, a, b, msg=None):
        self._check(a >= b, "%r not greater than or equal to %r" % (a, b), msg)

    def assertIsInstance(self, x, cls, msg=None):
        self._check(isinstance(x, cls), "%r is not an instance of %r" % (x, cls), msg)

    def assertRaises(self, exc, func=None, *args, **kwargs):
        ctx = _Raises(self, exc)
        if func is None:
            return ctx
        with ctx:
            func(*args, **kwargs)
        return None
