# One line per test suite: tmx_test(<file name in tests/> <timeout s> <libs>).
