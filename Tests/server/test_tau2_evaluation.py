"""Benchmarks/tau2/evaluate.py on a made-up copy of τ²-bench's retail data (two customers, four
orders, two products, three tasks), so CI runs the evaluation's whole path — gold calls to runs,
variants, `sop mcp` through the MCP Python SDK, verify — without the benchmark, which this
repository does not hold. The real figures are in docs/benchmarks.md."""

import json
import subprocess
import sys

from conftest import ROOT, SOP


def user(uid, first, zip_code, methods):
    return {"user_id": uid, "name": {"first_name": first, "last_name": "Doe"}, "email": f"{uid}@example.com",
            "address": {"address1": "1 Main St", "address2": "", "city": "Springfield", "state": "IL",
                        "country": "USA", "zip": zip_code},
            "payment_methods": methods, "orders": []}


def order(oid, uid, status, items, method, amount):
    return {"order_id": oid, "user_id": uid, "status": status, "address": {}, "fulfillments": [],
            "items": [{"name": "Mug", "product_id": pid, "item_id": iid, "price": price, "options": {}}
                      for pid, iid, price in items],
            "payment_history": [{"transaction_type": "payment", "amount": amount, "payment_method_id": method}]}


def copy_of_tau2(root):
    products = {
        "P1": {"name": "Mug", "product_id": "P1", "variants": {
            "100": {"item_id": "100", "options": {"color": "red"}, "available": True, "price": 10.0},
            "101": {"item_id": "101", "options": {"color": "blue"}, "available": True, "price": 12.5},
            "102": {"item_id": "102", "options": {"color": "green"}, "available": False, "price": 11.0}}},
        "P2": {"name": "Lamp", "product_id": "P2", "variants": {
            "200": {"item_id": "200", "options": {"size": "S"}, "available": True, "price": 30.0}}},
    }
    users = {
        "ana_1": user("ana_1", "Ana", "11111", {"card_1": {"source": "credit_card", "id": "card_1"},
                                                "gift_1": {"source": "gift_card", "id": "gift_1", "balance": 100.0},
                                                "paypal_1": {"source": "paypal", "id": "paypal_1"}}),
        "bo_2": user("bo_2", "Bo", "22222", {"card_2": {"source": "credit_card", "id": "card_2"},
                                             "paypal_2": {"source": "paypal", "id": "paypal_2"}}),
    }
    orders = {
        "#W1": order("#W1", "ana_1", "pending", [("P1", "100", 10.0)], "card_1", 10.0),
        "#W2": order("#W2", "ana_1", "delivered", [("P1", "100", 10.0), ("P2", "200", 30.0)], "card_1", 40.0),
        "#W3": order("#W3", "bo_2", "pending", [("P1", "100", 10.0)], "card_2", 10.0),
        "#W4": order("#W4", "bo_2", "delivered", [("P1", "100", 10.0)], "paypal_2", 10.0),
    }
    call = lambda name, **args: {"action_id": name, "name": name, "arguments": args, "info": None}
    tasks = [
        {"id": "0", "evaluation_criteria": {"actions": [
            call("find_user_id_by_email", email="ana_1@example.com"),
            call("get_order_details", order_id="#W1"),
            call("get_product_details", product_id="P1"),
            call("get_user_details", user_id="ana_1"),
            call("modify_pending_order_items", order_id="#W1", item_ids=["100"], new_item_ids=["101"],
                 payment_method_id="gift_1"),
            call("return_delivered_order_items", order_id="#W2", item_ids=["200"], payment_method_id="card_1")]}},
        # No authentication and no reads in the gold calls: the evaluation adds them.
        {"id": "1", "evaluation_criteria": {"actions": [
            call("cancel_pending_order", order_id="#W3", reason="no longer needed")]}},
        {"id": "2", "evaluation_criteria": {"actions": [
            call("find_user_id_by_name_zip", first_name="Bo", last_name="Doe", zip="22222"),
            call("exchange_delivered_order_items", order_id="#W4", item_ids=["100"], new_item_ids=["101"],
                 payment_method_id="paypal_2"),
            call("transfer_to_human_agents", summary="wants more")]}},
        {"id": "3", "evaluation_criteria": {"actions": []}},
    ]
    domain = root / "data" / "tau2" / "domains" / "retail"
    domain.mkdir(parents=True)
    (domain / "db.json").write_text(json.dumps({"products": products, "users": users, "orders": orders}))
    (domain / "tasks.json").write_text(json.dumps(tasks))
    return root


def test_the_evaluation_accepts_the_gold_writes_and_refuses_every_variant(tmp_path):
    copy = copy_of_tau2(tmp_path / "tau2-bench")
    figures = tmp_path / "figures.json"
    run = subprocess.run([sys.executable, str(ROOT / "Benchmarks/tau2/evaluate.py"), "--tau2", str(copy), "--sop", SOP,
                          "--json", str(figures)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    # Without τ²-bench's source beside its data, its tools are not compared, and it says so.
    assert "τ²-bench's own tools are not compared" in run.stderr
    f = json.loads(figures.read_text())
    assert f["pass"] and f["tasks_with_writes"] == 3
    assert (f["gold_writes"], f["gold_accepted"], f["false_refusals"]) == (5, 5, [])
    # Task 1's authentication and order; task 0's return reads #W2; task 2 reads #W4, Bo's
    # profile and the product its exchange needs.
    assert f["lookups_added"] == {"find_user_id_by_email": 1, "get_order_details": 3, "get_user_details": 1,
                                  "get_product_details": 1}
    assert f["variants"] == f["variants_refused"] > 30 and f["variants_accepted"] == []
    rules = f["rules"]
    for rule in ["no authentication", "no confirmation", "a stale confirmation", "a write without reading the order",
                 "another user's order", "the wrong order status", "a bad cancel reason", "an item not in the order",
                 "another product", "an unavailable variant", "a second item change",
                 "a change after items were modified", "a second return or exchange", "a refund to another method"]:
        assert rules[rule]["variants"] >= 1, rule
        assert rules[rule]["refused"] == rules[rule]["for its own rule"] == rules[rule]["helpful"] == rules[rule]["variants"], rule
    assert all(v["exit"] == 0 for v in f["verify"])
    assert "— PASS" in run.stdout
