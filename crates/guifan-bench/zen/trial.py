"""The Douyin trial policy's eleven rules as a GoRules ZEN decision (JDM: one
expression node), for the side-by-side figures of docs/python.md: run by
scripts/bench-python.sh, not by the tests. Each rule's key is true when the
rule fires; agreement with Guifan is checked on every record before timing."""

import json

ZONE = "Asia/Shanghai"

EXPRESSIONS = [
    ("active", "trial != null and trial.active == true"),
    ("personal", 'store_type == "personal"'),
    ("req", "withdrawal_request != null"),
    ("same_month", f'withdrawal_request != null ? count(withdrawals, d(#.at, "{ZONE}").year() == d(withdrawal_request.at, "{ZONE}").year() and d(#.at, "{ZONE}").month() == d(withdrawal_request.at, "{ZONE}").month()) : 0'),
    ("out_of_range", "withdrawal_request != null and (number(withdrawal_request.amount) < 100 or number(withdrawal_request.amount) > number(goods_balance) * 0.5)"),
    ("creator_points", 'sum(map(filter(creator_deductions, d(#.at).isAfter(d(now).sub(30, "d")) and d(#.at).isSameOrBefore(d(now))), #.points))'),
    ("withdrawal_frequency", "$.active and $.req and $.same_month >= 1"),
    ("withdrawal_amount", "$.active and $.out_of_range"),
    ("deposit_top_up", "$.active and $.req and $.same_month < 1 and not $.out_of_range and number(deposit.balance) >= 0"),
    ("negative_deposit", "$.active and number(deposit.balance) < 0"),
    ("marketing_limits", "$.active"),
    ("marketing_breach", "$.active and (len(marketing.platform_campaigns) > 0 or marketing.affiliate_alliance or marketing.platform_subsidy)"),
    ("listing_cap", "$.active and listings_online > ($.personal ? 100 : 200)"),
    ("shelf_only", '$.active and $.personal and (some(selling_channels, # == "live") or some(selling_channels, # == "short_video"))'),
    ("trial_exit", "$.active and (number(deposit.balance) >= number(deposit.required) or paid_orders.count > ($.personal ? 100 : 200) or number(paid_orders.total) > ($.personal ? 5000 : 10000) or violations.general >= 2 or violations.severe >= 1 or violations.orders >= 11 or $.creator_points >= 4)"),
    ("post_trial_controls", "trial != null and trial.active == false and trial.ended_at != null and number(deposit.balance) < number(deposit.required)"),
    ("settling_funds", "$.active and received_orders != null and len(received_orders) > 0"),
]

RULES = [k for k, _ in EXPRESSIONS[6:]]


def jdm() -> str:
    """The decision as JDM text."""
    return json.dumps({
        "nodes": [
            {"id": "in", "type": "inputNode", "name": "request", "position": {"x": 0, "y": 0}},
            {"id": "rules", "type": "expressionNode", "name": "trial", "position": {"x": 200, "y": 0},
             "content": {"expressions": [{"id": str(i), "key": k, "value": v}
                                          for i, (k, v) in enumerate(EXPRESSIONS)]}},
            {"id": "out", "type": "outputNode", "name": "response", "position": {"x": 400, "y": 0}},
        ],
        "edges": [
            {"id": "e1", "sourceId": "in", "targetId": "rules", "type": "edge"},
            {"id": "e2", "sourceId": "rules", "targetId": "out", "type": "edge"},
        ],
    })
