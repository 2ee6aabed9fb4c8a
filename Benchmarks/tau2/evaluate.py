#!/usr/bin/env python3
"""The retail policy of τ²-bench as SOPs, measured without a language model.

    Benchmarks/tau2/evaluate.py --tau2 PATH [--sop BIN] [--workers N] [--json FILE] [--markdown FILE]

PATH is a local copy of the public τ²-bench repository (sierra-research/tau2-bench); nothing of
it is copied here. For each retail task the gold tool calls become a run of the `retail` SOP
(Benchmarks/tau2/sops): each read is carried out on the task's database and written into the
ticket with `update_ticket`, each write is a `step` (its event, its arguments as inputs and the
customer's yes as `confirmed`). The look-ups a task's gold calls leave out (authentication, the
order, the profile, the products) are added and counted. Then every write is broken one rule
at a time, and each variant must be refused, with a reason and what is possible instead. The
runs are driven through `sop mcp` with the MCP Python SDK, as an agent drives them, and every
journal is verified at the end. τ²-bench's own write tools are run on the same variants, to
show which rules they do not check.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
import types
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent

WRITES = {
    "cancel_pending_order", "modify_pending_order_address", "modify_pending_order_payment",
    "modify_pending_order_items", "return_delivered_order_items", "exchange_delivered_order_items",
    "modify_user_address", "transfer_to_human_agents",
}
READS = {"find_user_id_by_email", "find_user_id_by_name_zip", "get_user_details", "get_order_details",
         "get_product_details"}
# Calls that neither read what the rules need nor change anything: not steps of the procedure.
NOT_STEPS = {"calculate", "get_item_details", "list_all_product_types"}
ORDER_WRITES = WRITES - {"modify_user_address", "transfer_to_human_agents"}
ITEM_CHANGES = {"modify_pending_order_items", "exchange_delivered_order_items"}
PENDING_WRITES = {"cancel_pending_order", "modify_pending_order_address", "modify_pending_order_payment",
                  "modify_pending_order_items"}
DELIVERED_WRITES = {"return_delivered_order_items", "exchange_delivered_order_items"}

# Each rule a variant breaks, with the condition of the SOP a refusal for it should name (or the
# refusal's kind) — "refused for its own rule" counts the refusals that name it.
RULES = {
    "no authentication": "state 'authenticate'",
    "no confirmation": "input.confirmed == true",
    "a write without reading the order": "exists(ticket.orders[input.order_id])",
    "another user's order": "ticket.orders[input.order_id].user_id == var.user_id",
    "the wrong order status": "ticket.orders[input.order_id].status ==",
    "a bad cancel reason": "input 'reason'",
    "a second return or exchange": "input.order_id not in var.returned_or_exchanged",
    "a second item change": "input.order_id not in var.items_modified",
    "a change after items were modified": "input.order_id not in var.items_modified",
    "a refund to another method": "input.payment_method_id == ticket.orders[input.order_id].payment_history[0].payment_method_id",
    "an item not in the order": "subset(input.item_ids",
    "another product": "exists(ticket.products[",
    "an unavailable variant": ".available == true)",
    "a stale confirmation": "input.confirmed == true",
}

NOT_GUARDS = [
    ("what the agent tells the customer (listing the details before asking for a yes, the refund "
     "timing, the transfer message)",
     "words to a person are not events: the SOP sees the yes (`confirmed`), not what was said before it"),
    ("transfer only when the request is out of scope",
     "whether a request could be handled is a judgement about the conversation; the SOP offers the "
     "transfer in every state and records it, it cannot know the request"),
    ("authenticate by email, or by name and zip code, even when the user gives a user id",
     "the SOP waits for `ticket.user_id` and fixes it for the conversation, but it cannot tell a user "
     "id the lookup returned from one the agent typed: the ticket is the agent's word about its reads"),
    ("make no information up; no subjective recommendations",
     "content of messages, not actions"),
    ("one tool call at a time; no message in the same turn as a call",
     "a property of the agent's turns; each step is one call by construction"),
    ("remind the customer to give every item before an item change or exchange",
     "words again; the SOP makes the change once per order, which is the rule the reminder protects"),
]


# ---------------------------------------------------------------------------------------------
# τ²-bench's own data and tools, read from the local copy.

def load_tau2(path: Path):
    domain = path / "data" / "tau2" / "domains" / "retail"
    db_file, tasks_file = domain / "db.json", domain / "tasks.json"
    for f in (db_file, tasks_file):
        if not f.is_file():
            raise SystemExit(f"evaluate.py: no {f.relative_to(path)} in {path}: give --tau2 the root of a copy of "
                             "the τ²-bench repository (with its data/ folder)")
    return json.loads(db_file.read_text()), json.loads(tasks_file.read_text())


def load_tau2_tools(path: Path):
    """τ²-bench's retail tools, run as they are, with just enough of its package around them.
    Returns (RetailDB, RetailTools), or None with the reason when the copy lacks them."""
    src = path / "src" / "tau2" / "domains" / "retail"
    if not (src / "tools.py").is_file() or not (src / "data_model.py").is_file():
        return None, f"no {src / 'tools.py'}"
    try:
        from pydantic import BaseModel
    except ImportError:
        return None, "pydantic is not installed"
    from enum import Enum

    def module(name, **attrs):
        m = types.ModuleType(name)
        m.__dict__.update(attrs)
        sys.modules[name] = m
        return m

    class DB(BaseModel):
        pass

    class ToolType(str, Enum):
        READ = "read"; WRITE = "write"; THINK = "think"; GENERIC = "generic"

    class ToolKitBase:
        def __init__(self, db=None):
            self.db = db

    for name in ("tau2", "tau2.domains", "tau2.domains.retail", "tau2.environment"):
        module(name, __path__=[])
    module("tau2.environment.db", DB=DB)
    module("tau2.environment.toolkit", ToolKitBase=ToolKitBase, ToolType=ToolType,
           is_tool=lambda *_a, **_k: (lambda f: f))
    module("tau2.domains.retail.utils", RETAIL_DB_PATH=str(path / "data/tau2/domains/retail/db.json"))
    try:
        data_model = module("tau2.domains.retail.data_model")
        exec(compile((src / "data_model.py").read_text(), str(src / "data_model.py"), "exec"), data_model.__dict__)
        tools = module("tau2.domains.retail.tools")
        exec(compile((src / "tools.py").read_text(), str(src / "tools.py"), "exec"), tools.__dict__)
        return (data_model.RetailDB, tools.RetailTools), None
    except Exception as e:  # a copy of another version: compare nothing rather than guess
        return None, f"τ²-bench's tools did not load: {e!r}"


# ---------------------------------------------------------------------------------------------
# Runs: what an agent does, call by call.

@dataclass
class Call:
    """One call of a run: a read (its tool and arguments) or a write."""
    name: str
    args: dict
    confirmed: bool = True
    added: bool = False        # a look-up the task's gold calls left out


@dataclass
class Script:
    task: str
    kind: str                  # "gold" or the rule a variant breaks
    calls: list
    target: int = -1           # the index of the call that must be refused (variants)
    db_patch: dict = field(default_factory=dict)  # order id -> fields changed in the database first
    note: str = ""
    gold_index: int = -1       # the gold write a variant breaks (or stands on, for a second write)


def gold_script(task_id, actions, db) -> tuple[Script, list]:
    """The task's gold calls, with the look-ups a policy-following agent makes added."""
    calls, added = [], []
    authenticated = False
    read_orders, read_products, read_user = set(), set(), False
    user_id = None
    for a in actions:
        name, args = a["name"], dict(a["arguments"])
        if name.startswith("find_user_id"):
            authenticated = True
        if name in ORDER_WRITES or name == "modify_user_address":
            order = db["orders"].get(args.get("order_id", ""), {})
            owner = order.get("user_id") or args.get("user_id")
            if not authenticated:
                user = db["users"][owner]
                c = Call("find_user_id_by_email", {"email": user["email"]}, added=True)
                calls.append(c); added.append(c.name); authenticated = True
            user_id = user_id or owner
            if name in ORDER_WRITES and args["order_id"] not in read_orders:
                c = Call("get_order_details", {"order_id": args["order_id"]}, added=True)
                calls.append(c); added.append(c.name); read_orders.add(args["order_id"])
            if name in ITEM_CHANGES | {"modify_pending_order_payment", "return_delivered_order_items"} and not read_user:
                c = Call("get_user_details", {"user_id": owner}, added=True)
                calls.append(c); added.append(c.name); read_user = True
            if name in ITEM_CHANGES:
                for pid in sorted({i["product_id"] for i in order["items"] if i["item_id"] in args["item_ids"]}):
                    if pid not in read_products:
                        c = Call("get_product_details", {"product_id": pid}, added=True)
                        calls.append(c); added.append(c.name); read_products.add(pid)
        if name == "get_order_details":
            read_orders.add(args["order_id"])
        if name == "get_product_details":
            read_products.add(args["product_id"])
        if name == "get_user_details":
            read_user = True
        calls.append(Call(name, args))
    return Script(task_id, "gold", calls), added


def variants(gold: Script, db, rng_orders) -> list:
    """Each write of a gold run, broken one rule at a time: the run up to the write, then the
    broken write, which must be refused."""
    out = []
    calls = gold.calls
    writes = [i for i, c in enumerate(calls) if c.name in WRITES and c.name != "transfer_to_human_agents"]
    users = db["users"]
    for i in writes:
        c = calls[i]
        prefix = [copy.deepcopy(x) for x in calls[:i]]
        order_id = c.args.get("order_id")
        order = db["orders"].get(order_id) if order_id else None
        owner = order["user_id"] if order else c.args.get("user_id")

        def add(kind, new_calls, target, db_patch=None, note=""):
            out.append(Script(gold.task, kind, new_calls, target, db_patch or {}, note, gold_index=i))

        earlier_writes = [x for x in prefix if x.name in WRITES]
        # No authentication: the find-user look-ups are left out (before the first write only:
        # later ones would stand on writes refused for the same reason).
        if not earlier_writes:
            kept = [x for x in prefix if not x.name.startswith("find_user_id")]
            add("no authentication", kept + [copy.deepcopy(c)], len(kept))
        # No confirmation: the write is sent without the customer's yes.
        w = copy.deepcopy(c); w.confirmed = False
        add("no confirmation", prefix + [w], i)
        # A stale confirmation: the yes was given for an earlier write of the conversation.
        if any(x.name in WRITES for x in prefix):
            w = copy.deepcopy(c); w.confirmed = False
            add("a stale confirmation", prefix + [w], i)
        if order is None:
            continue
        # A write without reading the order (where no earlier write needed it read).
        if not any(x.args.get("order_id") == order_id for x in earlier_writes):
            kept = [x for x in prefix if not (x.name == "get_order_details" and x.args.get("order_id") == order_id)]
            add("a write without reading the order", kept + [copy.deepcopy(c)], len(kept))
        # Another user's order, read first, in the status the write needs.
        other = rng_orders(owner, order["status"], exclude=order_id)
        if other:
            w = copy.deepcopy(c); w.args["order_id"] = other
            if c.name in ITEM_CHANGES | {"return_delivered_order_items"}:
                w.args["item_ids"] = [it["item_id"] for it in db["orders"][other]["items"]][:len(c.args["item_ids"])]
            add("another user's order", prefix + [Call("get_order_details", {"order_id": other}, added=True), w], len(prefix) + 1)
        # The wrong order status: the order is found in a status the write does not allow (where
        # no earlier write needed it in its own).
        if not any(x.args.get("order_id") == order_id for x in earlier_writes):
            wrong = "processed" if c.name in PENDING_WRITES else "pending"
            add("the wrong order status", prefix + [copy.deepcopy(c)], i, {order_id: {"status": wrong}},
                note=f"status {wrong}")
        if c.name == "cancel_pending_order":
            w = copy.deepcopy(c); w.args["reason"] = "found a better price"
            add("a bad cancel reason", prefix + [w], i)
        if c.name == "return_delivered_order_items":
            others = [pm for pm, m in users[owner]["payment_methods"].items()
                      if m["source"] != "gift_card" and pm != order["payment_history"][0]["payment_method_id"]]
            if others:
                w = copy.deepcopy(c); w.args["payment_method_id"] = others[0]
                add("a refund to another method", prefix + [w], i)
        if c.name in ITEM_CHANGES | {"return_delivered_order_items"}:
            # An item not in the order: one of another order's items.
            mine = {it["item_id"] for it in order["items"]}
            foreign = next((it["item_id"] for o in db["orders"].values() for it in o["items"] if it["item_id"] not in mine), None)
            foreign = foreign or next((v for p in db["products"].values() for v in p["variants"] if v not in mine), None)
            if foreign:
                w = copy.deepcopy(c); w.args["item_ids"] = [foreign] + list(c.args["item_ids"][1:])
                add("an item not in the order", prefix + [w], i)
        if c.name in ITEM_CHANGES:
            old = c.args["item_ids"][0]
            product = next(it["product_id"] for it in order["items"] if it["item_id"] == old)
            # Another product: a variant of a product the order's item is not, read first.
            pid = next(p for p in sorted(db["products"]) if p != product)
            other_item = next(iter(db["products"][pid]["variants"]))
            w = copy.deepcopy(c); w.args["new_item_ids"] = [other_item] + list(c.args["new_item_ids"][1:])
            add("another product", prefix + [Call("get_product_details", {"product_id": pid}, added=True), w], len(prefix) + 1)
            # An unavailable variant of the same product, if it has one.
            gone = next((v for v, m in db["products"][product]["variants"].items() if not m["available"] and v != old), None)
            if gone:
                w = copy.deepcopy(c); w.args["new_item_ids"] = [gone] + list(c.args["new_item_ids"][1:])
                add("an unavailable variant", prefix + [w], i)
        # Writes after a write on the same order.
        rest = prefix + [copy.deepcopy(c)]
        if c.name in DELIVERED_WRITES:
            again = Call("return_delivered_order_items",
                         {"order_id": order_id, "item_ids": list(c.args["item_ids"]),
                          "payment_method_id": order["payment_history"][0]["payment_method_id"]})
            add("a second return or exchange", rest + [again], len(rest))
        if c.name == "modify_pending_order_items":
            back = Call("modify_pending_order_items",
                        {"order_id": order_id, "item_ids": list(c.args["new_item_ids"]),
                         "new_item_ids": list(c.args["item_ids"]), "payment_method_id": c.args["payment_method_id"]})
            add("a second item change", rest + [back], len(rest))
            address = dict(users[owner]["address"])
            add("a change after items were modified",
                rest + [Call("modify_pending_order_address", {"order_id": order_id, **address})], len(rest),
                note="address")
            other_pm = [pm for pm in users[owner]["payment_methods"] if pm != order["payment_history"][0]["payment_method_id"]]
            if other_pm:
                add("a change after items were modified",
                    rest + [Call("modify_pending_order_payment", {"order_id": order_id, "payment_method_id": other_pm[0]})],
                    len(rest), note="payment")
    return out


# ---------------------------------------------------------------------------------------------
# The world a run's reads see: the task's database, changed by the run's writes (τ²-bench's own
# write tools change it, so a read after a write sees what the store would answer).

class World:
    def __init__(self, db, tau2, script: Script):
        self.db = db
        self.tau2 = tau2
        orders = {c.args["order_id"] for c in script.calls if "order_id" in c.args}
        users = {db["orders"][o]["user_id"] for o in orders if o in db["orders"]}
        users |= {c.args["user_id"] for c in script.calls if "user_id" in c.args}
        for c in script.calls:
            if c.name.startswith("find_user_id"):
                u = self.find_user(c)
                if u: users.add(u)
        products = {c.args["product_id"] for c in script.calls if c.name == "get_product_details"}
        for o in orders:
            products |= {it["product_id"] for it in db["orders"].get(o, {}).get("items", [])}
        sub = {"orders": {o: copy.deepcopy(db["orders"][o]) for o in orders if o in db["orders"]},
               "users": {u: copy.deepcopy(db["users"][u]) for u in users if u in db["users"]},
               "products": {p: db["products"][p] for p in products if p in db["products"]}}
        for o, patch in script.db_patch.items():
            sub["orders"][o].update(patch)
        self.tools = None
        if tau2:
            RetailDB, RetailTools = tau2
            self.tools = RetailTools(RetailDB(**copy.deepcopy(sub)))
        self.sub = sub

    def find_user(self, c):
        for uid, u in self.db["users"].items():
            if c.name == "find_user_id_by_email" and u["email"].lower() == c.args["email"].lower():
                return uid
            if (c.name == "find_user_id_by_name_zip" and u["name"]["first_name"].lower() == c.args["first_name"].lower()
                    and u["name"]["last_name"].lower() == c.args["last_name"].lower() and u["address"]["zip"] == c.args["zip"]):
                return uid
        return None

    def read(self, c: Call):
        """The ticket patch a read gives, or None when the read finds nothing."""
        def dump(x):
            return json.loads(x.model_dump_json()) if self.tools else x
        if c.name.startswith("find_user_id"):
            uid = self.find_user(c)
            return {"user_id": uid} if uid else None
        source = self.tools.db if self.tools else None
        if c.name == "get_user_details":
            u = (source.users if source else self.sub["users"]).get(c.args["user_id"])
            return {"user": dump(u)} if u is not None else None
        if c.name == "get_order_details":
            o = (source.orders if source else self.sub["orders"]).get(c.args["order_id"])
            return {"orders": {c.args["order_id"]: dump(o)}} if o is not None else None
        if c.name == "get_product_details":
            p = (source.products if source else self.sub["products"]).get(c.args["product_id"])
            return {"products": {c.args["product_id"]: dump(p)}} if p is not None else None
        return None

    def tau2_write(self, c: Call):
        """Whether τ²-bench's own tool accepts the write (None when its tools are not at hand)."""
        if not self.tools:
            return None
        try:
            getattr(self.tools, c.name)(**c.args)
            return True
        except Exception:
            return False


def inputs_of(c: Call) -> dict:
    args = dict(c.args)
    if c.name == "transfer_to_human_agents":
        return {}
    if c.confirmed:
        args["confirmed"] = True
    return args


# ---------------------------------------------------------------------------------------------
# Driving the runs through `sop mcp`.

@dataclass
class Outcome:
    script: Script
    refused_at: list = field(default_factory=list)    # (call index, error object)
    accepted_at: list = field(default_factory=list)
    tau2: dict = field(default_factory=dict)          # call index -> accepted by τ²-bench's tool
    problems: list = field(default_factory=list)
    calls: int = 0                                    # MCP tool calls made


async def drive(session, script: Script, run_id: str, db, tau2) -> Outcome:
    world = World(db, tau2, script)
    out = Outcome(script)

    def text(result):
        return json.loads(result.content[0].text)

    out.calls += 1
    started = await session.call_tool("start_run", {"sop": "retail", "ticket": {"id": run_id}, "run": run_id})
    if started.is_error:
        out.problems.append(f"start_run refused: {started.content[0].text}")
        return out
    for i, c in enumerate(script.calls):
        if c.name in NOT_STEPS:
            continue
        if c.name in READS:
            patch = world.read(c)
            if patch is None:
                continue
            out.calls += 1
            r = await session.call_tool("update_ticket", {"run": run_id, "patch": patch})
            if r.is_error:
                out.problems.append(f"call {i} {c.name}: update_ticket refused: {r.content[0].text}")
            continue
        accepted_by_tau2 = world.tau2_write(c) if c.name != "transfer_to_human_agents" else True
        out.tau2[i] = accepted_by_tau2
        args = {"run": run_id, "event": c.name}
        inputs = inputs_of(c)
        if inputs:
            args["inputs"] = inputs
        out.calls += 1
        r = await session.call_tool("step", args)
        if r.is_error:
            out.refused_at.append((i, text(r)))
            # A refusal changes nothing: a gold run goes on with its next call, as an agent
            # told "no" would; a variant ends at the write it breaks.
            if i == script.target:
                break
        else:
            out.accepted_at.append(i)
            if c.name == "transfer_to_human_agents":
                break
    return out


@contextlib.asynccontextmanager
async def mcp_session(sop, store, secret):
    """A session with one `sop mcp` server on `store` over the retail SOP, as the token's agent."""
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client
    params = StdioServerParameters(command=sop, args=["mcp", "--sops", str(HERE / "sops"),
                                                      "--ticket-schema", str(HERE / "ticket.schema.json"), "--store", store],
                                   env={**os.environ, "SOP_TOKEN": secret})
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            yield session


async def floor_worker(sop, store, secret, calls, run_id):
    """The floor: as many MCP round trips as the evaluation made, each a `get_run` of one small
    run (a read that changes nothing)."""
    async with mcp_session(sop, store, secret) as session:
        await session.call_tool("start_run", {"sop": "retail", "ticket": {"id": run_id}, "run": run_id})
        for _ in range(calls):
            await session.call_tool("get_run", {"run": run_id})


async def worker(sop, store, secret, jobs, results, db, tau2):
    async with mcp_session(sop, store, secret) as session:
        while jobs:
            run_id, script = jobs.pop()
            results.append(await drive(session, script, run_id, db, tau2))


# What the forked workers share: set before the pool forks.
SHARED = {}


def run_worker(job):
    store, secret, jobs = job
    results = []
    asyncio.run(worker(SHARED["sop"], store, secret, jobs, results, SHARED["db"], SHARED["tau2"]))
    return results


def run_floor(job):
    store, secret, calls, run_id = job
    asyncio.run(floor_worker(SHARED["sop"], store, secret, calls, run_id))


def refusal_is_helpful(error: dict) -> bool:
    """A refusal an agent can act on: a reason, and what is possible instead (for a bad input,
    beside the input)."""
    if not error.get("reason"):
        return False
    if error.get("instead"):
        return True
    return any(f.get("instead") for f in error.get("fields") or [])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tau2", required=True, type=Path, help="a local copy of the τ²-bench repository")
    ap.add_argument("--sop", default=None, help="the sop binary (default: .build/release/sop, else .build/debug/sop)")
    ap.add_argument("--workers", type=int, default=2, help="`sop mcp` servers driven at once (default 2)")
    ap.add_argument("--json", type=Path, help="write the figures as JSON")
    ap.add_argument("--markdown", type=Path, help="write the report as Markdown")
    ap.add_argument("--floor", action="store_true",
                    help="also time as many MCP calls of get_run on one small run (the floor the evaluation is compared with)")
    a = ap.parse_args()
    started = time.monotonic()

    sop = a.sop or next((str(REPO / p) for p in (".build/release/sop", ".build/debug/sop") if (REPO / p).exists()), None)
    if not sop:
        raise SystemExit("evaluate.py: no sop binary: build one (swift build) or give --sop")
    db, tasks = load_tau2(a.tau2)
    tau2, why_not = load_tau2_tools(a.tau2)
    if tau2 is None:
        print(f"note: τ²-bench's own tools are not compared ({why_not})", file=sys.stderr)

    # Another user's order in a status, for "another user's order" (deterministic: the first by id).
    by_status = defaultdict(list)
    for oid in sorted(db["orders"]):
        o = db["orders"][oid]
        by_status[o["status"]].append((oid, o["user_id"]))

    def other_order(owner, status, exclude):
        return next((oid for oid, uid in by_status[status] if uid != owner and oid != exclude), None)

    scripts, added = [], Counter()
    tasks_with_additions = 0
    for t in tasks:
        actions = (t.get("evaluation_criteria") or {}).get("actions") or []
        if not any(x["name"] in WRITES for x in actions):
            continue
        gold, extra = gold_script(str(t["id"]), actions, db)
        added.update(extra)
        tasks_with_additions += bool(extra)
        scripts.append(gold)
        scripts.extend(variants(gold, db, other_order))

    with tempfile.TemporaryDirectory(prefix="sop-tau2-") as tmp:
        stores = [str(Path(tmp) / f"store-{n}.sqlite") for n in range(a.workers)]
        secrets = []
        for store in stores:
            made = subprocess.run([sop, "token", "create", "--actor", "tau2-agent", "--roles", "agent", "--store", store,
                                   "--format", "json"], capture_output=True, text=True, check=True)
            secrets.append(json.loads(made.stdout)["token"])
        jobs = [[] for _ in stores]
        for n, s in enumerate(scripts):
            jobs[n % len(stores)].append((f"t{s.task}-{n}", s))
        for j in jobs:
            j.reverse()
        print(f"driving {len(scripts)} runs ({sum(s.kind == 'gold' for s in scripts)} gold, the rest variants) "
              f"through {len(stores)} `sop mcp` servers…", file=sys.stderr, flush=True)
        # One process per server: the MCP client's own work per call is as much as the server's,
        # and one Python process runs on one core. The workers are forked, so they share the
        # database and τ²-bench's tools loaded here.
        SHARED.update(sop=sop, db=db, tau2=tau2)
        driving = time.monotonic()
        with multiprocessing.get_context("fork").Pool(len(stores)) as pool:
            parts = pool.map(run_worker, list(zip(stores, secrets, jobs)))
        results = [r for part in parts for r in part]
        evaluated = time.monotonic() - driving
        calls = sum(r.calls for r in results)
        floor = None
        if a.floor:
            t0 = time.monotonic()

            with multiprocessing.get_context("fork").Pool(len(stores)) as pool:
                pool.map(run_floor, [(store, secret, calls // len(stores), f"floor-{n}")
                                     for n, (store, secret) in enumerate(zip(stores, secrets))])
            floor = time.monotonic() - t0
        verified = []
        for store in stores:
            v = subprocess.run([sop, "verify", "--store", store], capture_output=True, text=True)
            verified.append((v.returncode, (v.stdout + v.stderr).strip().splitlines()[-1:]))
    elapsed = time.monotonic() - started - (floor or 0)

    report = summarize(results, added, tasks_with_additions, verified, tau2 is not None, elapsed)
    report["figures"]["mcp_calls"] = calls
    report["figures"]["seconds_driving"] = round(evaluated, 1)
    line = f"{calls} MCP calls driven in {evaluated:.1f} s ({calls / evaluated:.0f}/s)"
    if floor:
        report["figures"]["floor_seconds"] = round(floor, 1)
        line += f"; the floor, {calls} get_run calls, {floor:.1f} s: {evaluated / floor:.2f}× the floor"
    report["text"] += "\n" + line
    print(report["text"])
    if a.json:
        a.json.write_text(json.dumps(report["figures"], indent=2, sort_keys=True) + "\n")
    if a.markdown:
        a.markdown.write_text(report["markdown"])
    sys.exit(0 if report["figures"]["pass"] else 1)


def one_line(text):
    """A reason on one line (a guard written as a folded YAML block keeps its line breaks)."""
    return " ".join(text.split())


def summarize(results, added, tasks_with_additions, verified, compared, elapsed):
    gold = [r for r in results if r.script.kind == "gold"]
    var = [r for r in results if r.script.kind != "gold"]
    problems = [p for r in results for p in r.problems]
    # Gold: every write accepted, except the ones τ²-bench's own tool refuses.
    gold_writes = gold_accepted = 0
    false_refusals, tau2_refused_gold, tau2_refused_at, not_reached = [], [], [], []
    for r in gold:
        for i, c in enumerate(r.script.calls):
            if c.name not in WRITES:
                continue
            gold_writes += 1
            refused = next((e for j, e in r.refused_at if j == i), None)
            if refused is None and i in r.accepted_at:
                gold_accepted += 1
            elif refused is not None and r.tau2.get(i) is False:
                tau2_refused_gold.append((r.script.task, c.name, refused.get("reason", "")))
                tau2_refused_at.append((r.script.task, i))
            elif refused is not None:
                false_refusals.append((r.script.task, c.name, refused.get("reason", "")))
            else:
                not_reached.append((r.script.task, c.name))
    gold_writes_tau2_ok = gold_writes - len(tau2_refused_gold)
    per_rule = defaultdict(lambda: Counter())
    premise_failed, accepted_variants, unnamed = Counter(), [], []
    for r in var:
        k = r.script.kind
        # A variant stands on the gold writes up to the one it breaks; where one of them is
        # refused, as τ²-bench's own tools refuse it too, the variant tests nothing.
        if any(t == r.script.task and j <= r.script.gold_index for t, j in tau2_refused_at):
            premise_failed[k] += 1
            continue
        if any(j != r.script.target for j, _ in r.refused_at):
            problems.append(f"task {r.script.task}: {k}: a write before the broken one was refused")
        c = per_rule[k]
        c["variants"] += 1
        refused = next((e for j, e in r.refused_at if j == r.script.target), None)
        if refused is None:
            accepted_variants.append((r.script.task, k, r.script.note))
        elif RULES[k] not in refused.get("reason", "") + json.dumps(refused.get("fields") or [], ensure_ascii=False):
            unnamed.append((r.script.task, k, refused.get("reason", "")[:300]))
        if refused is not None:
            c["refused"] += 1
            c["helpful"] += refusal_is_helpful(refused)
            c["for its own rule"] += RULES[k] in refused.get("reason", "") + json.dumps(refused.get("fields") or [], ensure_ascii=False)
        if r.tau2.get(r.script.target) is True:
            c["τ²-bench accepts"] += 1
            if refused is not None:
                c["τ²-bench accepts, SOP refuses"] += 1
    total_variants = sum(c["variants"] for c in per_rule.values())
    total_refused = sum(c["refused"] for c in per_rule.values())
    worst = min((c["refused"] / c["variants"] for c in per_rule.values()), default=1)
    ok = (not false_refusals and not not_reached and not problems and worst >= 0.99 and all(rc == 0 for rc, _ in verified)
          and all(c["helpful"] == c["refused"] for c in per_rule.values()))
    figures = {
        "tasks_with_writes": len(gold), "gold_writes": gold_writes, "gold_accepted": gold_accepted,
        "gold_refused_by_tau2_too": [list(x) for x in tau2_refused_gold], "gold_not_reached": [list(x) for x in not_reached], "false_refusals": [list(x) for x in false_refusals],
        "lookups_added": dict(added), "tasks_with_lookups_added": tasks_with_additions,
        "variants": total_variants, "variants_refused": total_refused,
        "variants_accepted": [list(x) for x in accepted_variants], "refusals_naming_another_rule": [list(x) for x in unnamed],
        "variants_on_a_refused_gold_write": dict(premise_failed),
        "rules": {k: dict(v) for k, v in sorted(per_rule.items())},
        "verify": [{"exit": rc, "last_line": line} for rc, line in verified],
        "problems": problems[:20], "seconds": round(elapsed, 1), "tau2_tools_compared": compared, "pass": ok,
    }
    lines = [f"retail: {len(gold)} tasks with writes, {gold_writes} gold writes",
             f"  gold writes accepted: {gold_accepted} of {gold_writes_tau2_ok} τ²-bench's tools accept"
             f" ({len(false_refusals)} false refusals)"]
    for task, name, reason in tau2_refused_gold:
        lines.append(f"  task {task}: gold {name} refused, as τ²-bench's own tool refuses it: {one_line(reason)}")
    for task, name, reason in false_refusals:
        lines.append(f"  FALSE REFUSAL task {task}: {name}: {one_line(reason)}")
    for task, name in not_reached:
        lines.append(f"  task {task}: gold {name} not reached (the run ended before it)")
    lines.append(f"  look-ups added to the gold calls: {dict(added)} (in {tasks_with_additions} tasks)")
    lines.append(f"variants: {total_refused} of {total_variants} refused")
    if premise_failed:
        lines.append(f"  left out: {sum(premise_failed.values())} variants built on a gold write τ²-bench's tools refuse too")
    for task, kind, note in accepted_variants:
        lines.append(f"  ACCEPTED task {task}: {kind} {note}")
    for task, kind, reason in unnamed[:10]:
        lines.append(f"  task {task}: {kind} refused for another condition: {one_line(reason)}")
    head = ["rule broken", "variants", "refused", "named its rule", "with reason + instead", "τ²-bench accepts"]
    md = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for k, c in sorted(per_rule.items(), key=lambda kv: -kv[1]["variants"]):
        lines.append(f"  {k:38} {c['refused']:4} / {c['variants']:<4} refused; named its rule {c['for its own rule']:4};"
                     f" τ²-bench's tools accept {c['τ²-bench accepts'] if compared else '-'}")
        md.append(f"| {k} | {c['variants']} | {c['refused']} | {c['for its own rule']} | {c['helpful']} | "
                  f"{c['τ²-bench accepts'] if compared else '–'} |")
    md.append(f"| **all** | **{total_variants}** | **{total_refused}** | "
              f"{sum(c['for its own rule'] for c in per_rule.values())} | {sum(c['helpful'] for c in per_rule.values())} | "
              f"{sum(c['τ²-bench accepts'] for c in per_rule.values()) if compared else '–'} |")
    for rc, line in verified:
        lines.append(f"sop verify: exit {rc} {' '.join(line)}")
    for p in problems[:20]:
        lines.append(f"PROBLEM {p}")
    lines.append(f"{len(results)} runs in {elapsed:.1f} s — {'PASS' if ok else 'FAIL'}")
    not_guards = "\n".join(f"- **{rule}**: {why}." for rule, why in NOT_GUARDS)
    markdown = "\n".join(md) + "\n\nRules no guard can express:\n\n" + not_guards + "\n"
    return {"text": "\n".join(lines), "figures": figures, "markdown": markdown}


if __name__ == "__main__":
    main()
