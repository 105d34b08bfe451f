"""Writes tickets.json: 200 varied, realistic support tickets for the triage example.
Deterministic (fixed seed), so the file only changes when this script does.
Run: python make_tickets.py [COUNT]"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 20240611

PRODUCTS = {
    "router": "Beacon router",
    "camera": "Lookout camera",
    "thermostat": "Ember thermostat",
    "doorbell": "Chime doorbell",
    "mobile_app": "Homebase app",
}

# (category, subject, body) templates; {p} is a product name, {n} a number, {d} a day.
TEMPLATES = [
    (
        "billing",
        "Charged twice this month",
        "My card was charged twice for the {p} subscription on {d}. Please refund one charge.",
    ),
    (
        "billing",
        "Invoice shows wrong plan",
        "The invoice for order {n} lists the Pro plan but I am on Basic for my {p}.",
    ),
    (
        "billing",
        "Refund not received",
        "You approved a refund for the {p} {n} days ago and the money is still not back.",
    ),
    (
        "billing",
        "Cancel my subscription",
        "Please cancel the cloud plan for my {p} and stop charging my card.",
    ),
    (
        "bug",
        "{p} keeps rebooting",
        "Since the last update my {p} restarts every few minutes. Factory reset did not help.",
    ),
    (
        "bug",
        "App crashes on login",
        "The Homebase app crashes right after I enter my password. Phone restarted, same result.",
    ),
    (
        "bug",
        "{p} offline after update",
        "After firmware {n}.2 the {p} shows offline and the status light blinks red.",
    ),
    (
        "bug",
        "Wrong temperature reading",
        "The {p} reads {n} degrees but the room is clearly much colder.",
    ),
    (
        "bug",
        "Recording gaps",
        "My {p} misses clips at night; the timeline has gaps of {n} minutes.",
    ),
    (
        "account",
        "Cannot reset password",
        "The reset email for my account never arrives. I checked spam. I need to reach my {p}.",
    ),
    (
        "account",
        "Locked out after 2FA change",
        "I changed phones and now the two-factor code fails, so I cannot manage my {p}.",
    ),
    (
        "account",
        "Transfer device to new owner",
        "I sold my house; how do I remove the {p} from my account for the new owner?",
    ),
    (
        "account",
        "Add family member",
        "How can my partner get access to the {p} with their own login?",
    ),
    (
        "shipping",
        "Order {n} not delivered",
        "Tracking for my {p} order {n} has not moved for {d} days.",
    ),
    ("shipping", "Wrong item in box", "I ordered a {p} but the box contained a different product."),
    (
        "shipping",
        "Package arrived damaged",
        "The {p} box was crushed and the unit has a cracked case.",
    ),
    (
        "shipping",
        "Change delivery address",
        "Please ship order {n} for the {p} to my office instead of my home.",
    ),
    (
        "feature_request",
        "Dark mode please",
        "Would love a dark mode in the Homebase app for checking the {p} at night.",
    ),
    (
        "feature_request",
        "Support for HomeKit",
        "Any plans to make the {p} work with Apple HomeKit?",
    ),
    (
        "feature_request",
        "Schedule by weekday",
        "It would be great to set different {p} schedules for weekdays and weekends.",
    ),
    (
        "feature_request",
        "Export recordings",
        "Please add a way to export a month of {p} history as a file.",
    ),
    ("other", "Question", "Hi, I have a question about my {p}. Can someone call me?"),
    (
        "other",
        "Feedback",
        "Just wanted to say the {p} has been fine. Also, something odd happened yesterday.",
    ),
    (
        "other",
        "Not sure who to ask",
        "Something is wrong but I am not sure what. It started on {d}.",
    ),
]

URGENT = [
    "This is urgent, my business depends on it.",
    "Please help today.",
    "We are completely stuck right now.",
]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "the weekend", "the 3rd"]
NAMES = [
    "Ana",
    "Ben",
    "Chen",
    "Dara",
    "Eli",
    "Fatima",
    "Goran",
    "Hana",
    "Ivan",
    "Jo",
    "Kemal",
    "Lea",
    "Mateo",
    "Nia",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sven",
    "Tariq",
    "Uma",
    "Vik",
]
CHANNELS = ["email", "chat", "phone", "web form"]


def make(count: int) -> list[dict[str, str]]:
    rng = random.Random(SEED)
    tickets = []
    for number in range(count):
        # Every template once, then a random mix.
        pick = TEMPLATES[number] if number < len(TEMPLATES) else rng.choice(TEMPLATES)
        _category, subject, body = pick
        key = rng.choice(list(PRODUCTS))
        slots = {"p": PRODUCTS[key], "n": str(rng.randint(2, 90)), "d": rng.choice(DAYS)}
        text = body.format(**slots)
        if rng.random() < 0.2:
            text = f"{text} {rng.choice(URGENT)}"
        tickets.append(
            {
                "id": f"T-{1001 + number}",
                "customer": f"{rng.choice(NAMES)} {chr(65 + rng.randrange(26))}.",
                "channel": rng.choice(CHANNELS),
                "subject": subject.format(**slots),
                "body": text,
            }
        )
    return tickets


def main() -> int:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    target = HERE / "tickets.json"
    payload = {"tickets": make(count)}
    target.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {count} tickets to {target.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
