# One line per test suite: tmx_test(<file name in tests/> <timeout s> <libs>).
tmx_test(model 60 tmx_model)
tmx_test(storage 120 tmx_storage)
tmx_test(actors 120 tmx_actors)
