#!/usr/bin/env python3
"""The returns-like loop of sop-bench runtime, in three Python state machine libraries.

Each step sends `next` and takes one guarded transition (three comparisons over the ticket and
a variable), as the sopkit benchmark does. Prints transitions per second for each library.
"""
import time

TICKET = {"priority": "high", "total": 120.5, "channel": "email"}
STEPS = 30_000


def rate(fn, steps=STEPS):
    best = 0.0
    for _ in range(3):
        start = time.perf_counter()
        fn(steps)
        elapsed = time.perf_counter() - start
        best = max(best, steps / elapsed)
    return best


def bench_transitions(steps):
    from transitions import Machine

    class Model:
        n = 0
        limit = 200

        def g1(self):
            return TICKET["priority"] == "high" and TICKET["total"] <= self.limit and self.n >= 0

        def g2(self):
            return TICKET["priority"] != "low" and TICKET["total"] > 10 and self.n >= 0

        def g3(self):
            return TICKET["channel"] == "email" and TICKET["total"] < 1000 and self.n >= 0

        def inc(self):
            self.n += 1

    m = Model()
    Machine(m, states=["verify", "inspect", "refund"], initial="verify", transitions=[
        {"trigger": "next", "source": "verify", "dest": "inspect", "conditions": "g1"},
        {"trigger": "next", "source": "inspect", "dest": "refund", "conditions": "g2", "after": "inc"},
        {"trigger": "next", "source": "refund", "dest": "verify", "conditions": "g3"},
    ], auto_transitions=False)
    for _ in range(steps):
        m.next()


def bench_python_statemachine(steps):
    from statemachine import State, StateMachine

    class Loop(StateMachine):
        verify = State(initial=True)
        inspect = State()
        refund = State()
        next = (verify.to(inspect, cond="g1") | inspect.to(refund, cond="g2", after="inc")
                | refund.to(verify, cond="g3"))

        def __init__(self):
            self.n = 0
            self.limit = 200
            super().__init__()

        def g1(self):
            return TICKET["priority"] == "high" and TICKET["total"] <= self.limit and self.n >= 0

        def g2(self):
            return TICKET["priority"] != "low" and TICKET["total"] > 10 and self.n >= 0

        def g3(self):
            return TICKET["channel"] == "email" and TICKET["total"] < 1000 and self.n >= 0

        def inc(self):
            self.n += 1

    sm = Loop()
    for _ in range(steps):
        sm.send("next")


SISMIC_YAML = """
statechart:
  name: loop
  preamble: |
    n = 0
    limit = 200
    priority = 'high'
    total = 120.5
    channel = 'email'
  root state:
    name: root
    initial: verify
    states:
      - name: verify
        transitions:
          - target: inspect
            event: next
            guard: priority == 'high' and total <= limit and n >= 0
      - name: inspect
        transitions:
          - target: refund
            event: next
            guard: priority != 'low' and total > 10 and n >= 0
            action: n = n + 1
      - name: refund
        transitions:
          - target: verify
            event: next
            guard: channel == 'email' and total < 1000 and n >= 0
"""


def bench_sismic(steps):
    from sismic.interpreter import Interpreter
    from sismic.io import import_from_yaml

    interpreter = Interpreter(import_from_yaml(SISMIC_YAML))
    interpreter.execute_once()
    for _ in range(steps):
        interpreter.queue("next")
        interpreter.execute_once()


if __name__ == "__main__":
    import importlib.metadata as md
    for name, package, fn in [("transitions", "transitions", bench_transitions),
                              ("python-statemachine", "python-statemachine", bench_python_statemachine),
                              ("sismic", "sismic", bench_sismic)]:
        steps = STEPS // 10 if name == "sismic" else STEPS
        print(f"{name} {md.version(package):<10} {rate(fn, steps):>12,.0f} transitions/s")
