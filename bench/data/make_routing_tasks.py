"""Writes bench/data/routing_tasks.jsonl: hand-made routine tasks for bench/routing_quality.py,
four kinds (sentiment, extract, topic, yesno), labelled by construction, split ~40/60 into
calibration/test per kind and label. Deterministic: the same file on every run.

    .venv/bin/python bench/data/make_routing_tasks.py
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from pathlib import Path
from typing import Any

OUT = Path(__file__).with_name("routing_tasks.jsonl")
SEED = 20261203
CALIBRATION_SHARE = 0.4

PRODUCTS = [
    "phone case", "backpack", "kettle", "keyboard", "speaker", "desk lamp", "blender",
    "jacket", "tent", "coffee grinder", "office chair", "water bottle", "toaster", "monitor",
    "rice cooker", "vacuum cleaner", "yoga mat", "smart watch", "frying pan", "umbrella",
]  # fmt: skip

POSITIVE = [
    "Absolutely love this {p}; it works perfectly.",
    "The {p} arrived early and exceeded my expectations.",
    "Great value: the {p} is sturdy and well made.",
    "My kids adore the {p}. Would buy again!",
    "Five stars, the {p} is simple and easy to use.",
    "Best {p} I have owned in years.",
    "The {p} does exactly what it promises, and it looks great too.",
    "Really happy with this {p}; it was ready to use in two minutes.",
    "I use the {p} every day and it still works like new.",
    "Excellent {p}. Solid build and a fair price.",
    "Highly recommend this {p} to anyone.",
    "Superb quality, the {p} feels much more expensive than it was.",
    "This {p} made my mornings so much easier. Love it.",
]
NEGATIVE = [
    "The {p} broke after two days. Total waste of money.",
    "Terrible {p}; it stopped working within a week.",
    "Do not buy this {p}. It is flimsy and cheap.",
    "The {p} arrived damaged and nobody answers my emails.",
    "Awful quality, the {p} cracked the first time I used it.",
    "I returned the {p}; it was badly made and useless.",
    "Very disappointed: the {p} looks nothing like the photos.",
    "The {p} fell apart within a month.",
    "Cheap materials, and the {p} smells of plastic.",
    "Worst purchase this year. The {p} is useless.",
    "Save your money, this {p} is junk.",
    "The {p} is poorly made and customer service was rude.",
    "I regret buying this {p}; it is ugly and hard to use.",
]
HARD_POSITIVE = [
    # negation
    "Not bad at all, I would happily buy this toaster again.",
    "I can't find a single thing wrong with this monitor.",
    "I was not disappointed: the tent kept us dry all weekend.",
    "No complaints whatsoever, the chair is comfortable for long days.",
    "I never expected a cheap lamp to be this good.",
    "Nothing about this backpack feels cheap.",
    "Can't say anything bad about it: the yoga mat grips well and doesn't smell.",
    # mixed, with a clear verdict
    "The box was dented, but the coffee grinder inside is perfect and I love it.",
    "Shipping took forever, yet the jacket is so warm that I'd order it again.",
    "A bit pricey, but the keyboard is a joy to type on. Worth every cent.",
    "The manual is confusing; once set up, though, the printer works flawlessly and I'm "
    "very happy.",
    "It isn't perfect, but for the price the tent is excellent.",
    # complaint-shaped praise
    "My only complaint is that I didn't buy this lamp sooner.",
    "The only problem with these shoes is that now I want them in every color.",
    "Honestly, I didn't think a cheap kettle could impress me. It did.",
    "I doubted the reviews, but this vacuum really is as good as they say.",
]
HARD_NEGATIVE = [
    # sarcasm
    "Oh great, the charger died after one week. Exactly what I paid for.",
    "Wow, a blender that leaks all over the counter. Just what every kitchen needs.",
    "Fantastic, the strap snapped on day two. Truly built to last.",
    "Love how the kettle takes ten minutes to boil. Said no one ever.",
    "Brilliant design: the lid only stays on if you hold it down the whole time.",
    "Thanks for the 'waterproof' jacket, I stayed perfectly soaked.",
    # negation
    "I would not recommend this vacuum to anyone.",
    "The headphones are not worth half the price.",
    "Never buying these running shoes again.",
    "The pan does not heat evenly and nothing slides off it.",
    "The watch doesn't keep time and doesn't hold a charge.",
    "Not once did the speaker connect on the first try.",
    # mixed, with a clear verdict
    "The color is lovely, but the bottle leaks in my bag every day, so it's going back.",
    "Nice packaging, shame the mouse stopped clicking after a week.",
    "The screen looks great, but the tablet crashes so often it's unusable.",
    "Fast delivery, but the umbrella turned inside out in light wind and broke.",
]

NAMES = [
    "Alice Moreau", "Bob Lindqvist", "Chen Wei", "Dana Okafor", "Elena Rossi", "Farid Haddad",
    "Greta Novak", "Hiro Tanaka", "Ines Silva", "Jonas Weber", "Kofi Mensah", "Lena Fischer",
    "Marta Kowalska", "Nikhil Rao", "Olga Petrova", "Pablo Ortiz", "Quinn Murphy",
    "Rosa Delgado", "Sven Aalto", "Tomasz Zielinski", "Uma Patel", "Victor Hugo Lima",
]  # fmt: skip
CITIES = [
    "Lyon", "Austin", "Turin", "Graz", "Porto", "Dublin", "Malaga", "Oslo", "Kyoto", "Leeds",
    "Bergen", "Seville", "Gdansk", "Ghent", "Tampere", "Krakow", "Nantes", "Boise",
    "San Diego", "New York", "Rio de Janeiro", "Cape Town", "Buenos Aires", "Kuala Lumpur",
    "Hong Kong", "Las Vegas", "Salt Lake City", "Mexico City", "Santa Cruz", "Le Havre",
]  # fmt: skip
EXTRACT = [
    "Order {o} for {n} was shipped to {c} yesterday.",
    "Customer {n} from {c} asked about order {o}.",
    "Please refund order {o}; {n} in {c} received the wrong size.",
    "{n} ({c}) confirmed delivery of order {o}.",
    "Invoice for order {o} goes to {n}, {c} office.",
    "Ticket: order {o} delayed. Contact {n} in {c}.",
    "Hi, this is {n} writing from {c}. My order #{o} still hasn't arrived.",
    "{c} store: {n} picked up order no. {o} this morning.",
    "Order {o} (2 items, 3 days late) should go to {n} in {c}.",
    "Delivery to {c} failed twice for order {o}; {n} will call back at 5 pm.",
    "Can {n} in {c} change the address on order {o} before Friday?",
    "Re: order {o} - {n}, {c}. The parcel weighed 12 kg.",
    "{n} paid 45 euros for order {o}, delivered in {c} on the 14th.",
    "What is the status of order {o}, placed in March 2026? I live in {c}. Thanks, {n}",
    "From {c}: order {o} arrived with a broken lid. - {n}",
    "Our courier in {c} has order {o} for {n}; it will arrive in 2 days.",
    "{n}, who lives in {c}, wants to cancel order number {o}.",
]

TOPICS: dict[str, list[str]] = {
    "billing": [
        "I was charged twice for the same order this month.",
        "Why does my invoice show a fee I never agreed to?",
        "My card was declined at checkout, but the money still left my bank account.",
        "Can I get a copy of last March's invoice for my taxes?",
        "Please update the card you charge for my monthly subscription.",
        "The price on my receipt is higher than the price on your website.",
        "Do you accept PayPal, or only credit cards?",
        "You charged my card for a renewal after I cancelled the subscription.",
        "There is a charge of 19.99 on my statement that I don't recognise.",
        "How do I add my company's VAT number to the invoice?",
        "I paid by bank transfer five days ago and the payment still shows as pending.",
        "The discount code was accepted but I was billed the full amount.",
    ],
    "shipping": [
        "My package was supposed to arrive on Monday and it's still not here.",
        "The tracking number you sent doesn't work on the courier's site.",
        "Do you deliver to Iceland?",
        "The courier left my parcel at the wrong house.",
        "Tracking has said 'out for delivery' for three days now.",
        "How long does standard delivery take to Canada?",
        "Can I pick a delivery day so someone is home to sign for the parcel?",
        "My parcel shows as delivered but there was nothing at my door.",
        "Is express delivery available for orders placed after 3 pm?",
        "Only one box of my order arrived; where is the second one?",
        "The courier says the address label is unreadable. What happens to my parcel now?",
        "When will my order ship? It has been 'processing' for a week.",
    ],
    "technical": [
        "The app crashes every time I open the settings page.",
        "My headphones won't pair with my phone over Bluetooth.",
        "The firmware update failed and now the screen stays black.",
        "The website shows 'error 502' whenever I search for a product.",
        "The smart plug keeps dropping off my Wi-Fi network.",
        "After the latest update, the thermostat ignores its schedule.",
        "The robot vacuum stops in the middle of the room and beeps three times.",
        "The camera app freezes when I record a video longer than a minute.",
        "My printer prints blank pages even with new cartridges.",
        "The touchscreen on the coffee machine doesn't respond when I tap it.",
        "The smart watch has stopped syncing its data to the app.",
        "Your web page won't load in Firefox, only in Chrome.",
    ],
    "account": [
        "I forgot my password and the reset email never arrives.",
        "How do I change the email address on my account?",
        "Please delete my account and all my personal data.",
        "I'm locked out of my account after too many login attempts.",
        "Can I merge my two accounts into one?",
        "Someone logged into my account from another country.",
        "How do I turn on two-factor authentication for my login?",
        "I want to change the username shown on my profile.",
        "The verification code for signing in never reaches my phone.",
        "Can I add my partner as a second user on my account?",
        "I changed my phone number; how do I update it in my profile?",
        "My account says it is suspended. Why?",
    ],
    "returns": [
        "I'd like to return the jacket; it doesn't fit.",
        "How do I get a return label for the shoes I bought?",
        "Can I exchange the sweater for a larger size?",
        "The return window is 30 days; does that start on the day of delivery?",
        "I sent the boots back two weeks ago. Did you receive my return?",
        "Can someone else drop off my return for me?",
        "The blender was a gift; can the person who received it return it?",
        "I opened the box but never used the toaster. Can I still return it?",
        "Where can I drop off a return in person?",
        "I want to swap the blue mug I bought for the green one.",
        "The lamp is not what I expected, so I'd like to send it back.",
        "Can I return just one item from a bundle?",
    ],
    "product_question": [
        "Is the hiking backpack waterproof?",
        "Does this kettle switch itself off when the water boils?",
        "What size batteries does the remote control take?",
        "Is the rain jacket machine washable?",
        "Does the office chair come with armrests?",
        "Can the blender crush ice?",
        "How much does the tent weigh when packed?",
        "Is the frying pan safe to use on an induction hob?",
        "Does the monitor have a USB-C port?",
        "Do the running shoes come in half sizes?",
        "Does the desk lamp have adjustable brightness?",
        "What material is the yoga mat made of?",
    ],
    "other": [
        "Are you hiring for the warehouse team?",
        "I just wanted to say your staff were lovely. Thanks!",
        "Do you sponsor local youth football clubs?",
        "I'm a journalist writing about online shops; can I interview someone?",
        "Where is your head office?",
        "How can I become a wholesale partner?",
        "Happy new year to everyone at the shop!",
        "Do you have an affiliate programme for bloggers?",
        "Would you like to advertise on our podcast?",
        "I'm a student doing a survey on customer service; would you fill it in?",
        "Can our school class visit your warehouse on a field trip?",
        "Is your company planning to open a shop in my town?",
    ],
}

YESNO: list[tuple[str, str, str, list[dict[str, str]]]] = [
    # (passage, a question whose answer is yes, one whose answer is no, two fills)
    ("The {p} comes with a two-year warranty. Batteries are not included.",
     "Does the {p} come with a warranty?", "Are batteries included with the {p}?",
     [{"p": "electric toothbrush"}, {"p": "wireless mouse"}]),
    ("Our {c} store is open Monday to Saturday. It is closed on Sundays.",
     "Is the {c} store open on Saturdays?", "Is the {c} store open on Sundays?",
     [{"c": "Leeds"}, {"c": "Ghent"}]),
    ("The {p} weighs {w} kg and folds flat for storage.",
     "Does the {p} fold flat?", "Does the {p} weigh more than {more} kg?",
     [{"p": "camping chair", "w": "1.2", "more": "2"},
      {"p": "baby stroller", "w": "6.5", "more": "9"}]),
    ("Standard delivery takes three to five working days. Express delivery is not available "
     "for {p}.",
     "Does standard delivery take at least three working days?",
     "Can {p} be sent by express delivery?",
     [{"p": "furniture"}, {"p": "large appliances"}]),
    ("{n} ordered a blue {p}, but a red one arrived. {n} has already sent it back.",
     "Did a {p} of the wrong colour arrive?", "Did {n} keep the {p}?",
     [{"n": "Greta", "p": "kettle"}, {"n": "Pablo", "p": "scarf"}]),
    ("The {p} is water-resistant but not waterproof. It should not be worn in heavy rain.",
     "Is the {p} water-resistant?", "Is the {p} waterproof?",
     [{"p": "jacket"}, {"p": "hiking boot"}]),
    ("Returns are free within 30 days of delivery. After that, a fee of {fee} euros applies.",
     "Is a return made {early} days after delivery free?",
     "Is a return made {late} days after delivery free?",
     [{"fee": "5", "early": "10", "late": "45"}, {"fee": "8", "early": "20", "late": "60"}]),
    ("The {p} cannot be washed in a dishwasher; wash it by hand.",
     "Should the {p} be washed by hand?", "Can the {p} go in the dishwasher?",
     [{"p": "frying pan"}, {"p": "chef's knife"}]),
    ("{n}'s order was delayed by a storm. It was delivered on {d}, two days late.",
     "Was {n}'s order delivered late?", "Was {n}'s order delivered on time?",
     [{"n": "Hiro", "d": "Thursday"}, {"n": "Marta", "d": "Monday"}]),
    ("The {p} has two HDMI ports and no USB-C port.",
     "Does the {p} have an HDMI port?", "Does the {p} have a USB-C port?",
     [{"p": "monitor"}, {"p": "projector"}]),
    ("The battery lasts about {h} hours on a single charge. A full charge takes {c} hours.",
     "Does the battery last longer than {less} hours?",
     "Does a full charge take more than {more} hours?",
     [{"h": "ten", "c": "two", "less": "eight", "more": "three"},
      {"h": "twenty", "c": "four", "less": "fifteen", "more": "six"}]),
    ("Only customers with a verified email address can leave reviews. {n} has not verified "
     "an email address yet.",
     "Does {n} still need to verify an email address?", "Can {n} leave a review now?",
     [{"n": "Kofi"}, {"n": "Lena"}]),
    ("The tent sleeps {k} adults. It was tested in winds up to 60 km/h.",
     "Can {k} adults sleep in the tent?", "Does the tent sleep {more} adults?",
     [{"k": "four", "more": "six"}, {"k": "two", "more": "five"}]),
    ("The {p} is made of glass, not plastic.",
     "Is the {p} made of glass?", "Is the {p} made of plastic?",
     [{"p": "blender jug"}, {"p": "water bottle"}]),
    ("Gift wrapping costs {x} euros per item. It is free for members.",
     "Do members get gift wrapping for free?", "Is gift wrapping free for everyone?",
     [{"x": "3"}, {"x": "4"}]),
    ("The {p} was out of stock in May. It has been back in stock since June 2.",
     "Is the {p} back in stock?", "Is the {p} still out of stock?",
     [{"p": "coffee grinder"}, {"p": "yoga mat"}]),
    ("The {p} has three brightness levels but no colour settings.",
     "Can you change the {p}'s brightness?", "Can you change the {p}'s colour?",
     [{"p": "desk lamp"}, {"p": "night light"}]),
    ("{n} cancelled the subscription in {m1}, so no charge was made in {m2}.",
     "Did {n} cancel the subscription?", "Was {n} charged in {m2}?",
     [{"n": "Olga", "m1": "March", "m2": "April"}, {"n": "Sven", "m1": "July", "m2": "August"}]),
    ("The {p} ships fully assembled. No tools are needed.",
     "Does the {p} arrive assembled?", "Do you need tools to set up the {p}?",
     [{"p": "office chair"}, {"p": "bookshelf"}]),
    ("Orders over 50 euros ship for free. {n}'s order came to {x} euros.",
     "Was {n}'s order under 50 euros?", "Did {n}'s order qualify for free shipping?",
     [{"n": "Uma", "x": "38"}, {"n": "Victor", "x": "42"}]),
    ("The {p} run small, so most buyers order one size up.",
     "Do most buyers order a larger size of the {p}?", "Do the {p} run large?",
     [{"p": "running shoes"}, {"p": "leather gloves"}]),
]  # fmt: skip


def sentiment_tasks(rng: random.Random) -> list[dict[str, Any]]:
    texts = [
        (template.format(p=product), label)
        for templates, label in ((POSITIVE, "positive"), (NEGATIVE, "negative"))
        for template in templates
        for product in rng.sample(PRODUCTS, 2)
    ]
    texts += [(t, "positive") for t in HARD_POSITIVE] + [(t, "negative") for t in HARD_NEGATIVE]
    return [{"kind": "sentiment", "text": t, "label": {"sentiment": s}} for t, s in texts]


def extract_tasks(rng: random.Random) -> list[dict[str, Any]]:
    ids = rng.sample(range(1000, 10000), 5 * len(EXTRACT))
    tasks = []
    for i in range(5 * len(EXTRACT)):
        order, name, city = str(ids[i]), NAMES[i % len(NAMES)], CITIES[(i * 7) % len(CITIES)]
        text = EXTRACT[i % len(EXTRACT)].format(o=order, n=name, c=city)
        tasks.append({"kind": "extract", "text": text,
                      "label": {"order_id": order, "city": city}})  # fmt: skip
    return tasks


def topic_tasks() -> list[dict[str, Any]]:
    return [
        {"kind": "topic", "text": text, "label": {"topic": topic}}
        for topic, texts in TOPICS.items()
        for text in texts
    ]


def yesno_tasks() -> list[dict[str, Any]]:
    tasks = []
    for passage, yes, no, fills in YESNO:
        for fill in fills:
            for question, answer in ((yes, "yes"), (no, "no")):
                tasks.append({"kind": "yesno", "text": passage.format(**fill),
                              "question": question.format(**fill),
                              "label": {"answer": answer}})  # fmt: skip
    return tasks


def split(tasks: list[dict[str, Any]], rng: random.Random) -> None:
    """Mark ~40% of each kind (and each label, for the classification kinds) calibration."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for task in tasks:
        label = "" if task["kind"] == "extract" else json.dumps(task["label"])
        groups[task["kind"] + label].append(task)
    for group in groups.values():
        order = list(range(len(group)))
        rng.shuffle(order)
        cut = round(CALIBRATION_SHARE * len(group))
        for rank, index in enumerate(order):
            group[index]["split"] = "calibration" if rank < cut else "test"


def build() -> list[dict[str, Any]]:
    rng = random.Random(SEED)
    kinds = [sentiment_tasks(rng), extract_tasks(rng), topic_tasks(), yesno_tasks()]
    tasks = []
    for group in kinds:
        for i, task in enumerate(group):
            tasks.append({"id": f"{task['kind'][0]}{i:03d}", **task})
    split(tasks, rng)
    return tasks


def main() -> None:
    tasks = build()
    keys = ("id", "kind", "text", "question", "label", "split")
    lines = [json.dumps({k: t[k] for k in keys if k in t}) for t in tasks]
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(tasks)} tasks -> {OUT}")


if __name__ == "__main__":
    main()
