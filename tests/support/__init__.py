"""What tests share: store factories, the demo and the hand-checked book, callback and browser helpers.

Test modules import from here (and get fixtures from the ``conftest.py`` files); no test module
imports another. ``bench/`` imports nothing from ``tests/``: the stores it needs are built by
``loaders.demo`` and ``loaders.generate.course_store``, as the tests' are.
"""
