"""The rules engine: eligibility criteria (eligibility.py) and award arithmetic (amounts.py).

Both work on the JSON shapes stored on PolicyItem (validated by policies/schema.py) and are pure
apart from reading an enterprise's designations. Callers: applications (eligibility and suggested
amount of a case), the 政策超市 list (evaluate_profile), the city approval page (the maximum).
"""
