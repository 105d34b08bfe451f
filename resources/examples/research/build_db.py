"""Builds data/sales.sqlite, the research example's sample database: products and six
months of sales per region. Deterministic; run it again after editing the rows below.
Run: python build_db.py"""

from __future__ import annotations

import sqlite3
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGET = HERE / "data" / "sales.sqlite"

PRODUCTS = [
    (1, "Beacon router", "network", 129.0),
    (2, "Lookout camera", "security", 89.0),
    (3, "Ember thermostat", "climate", 149.0),
    (4, "Chime doorbell", "security", 69.0),
]
MONTHS = ["2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06"]
REGIONS = ["north", "south", "west"]
# Units per month for each product: a trend (start, change per month) per region.
TRENDS = {
    1: {"north": (410, -12), "south": (300, -8), "west": (380, -10)},
    2: {"north": (520, 25), "south": (460, 30), "west": (600, 35)},
    3: {"north": (260, 4), "south": (120, 2), "west": (210, 6)},
    4: {"north": (340, 10), "south": (290, 12), "west": (310, 9)},
}
RETURNS = {1: 0.031, 2: 0.054, 3: 0.012, 4: 0.022}


def build(target: Path = TARGET) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    db = sqlite3.connect(target)
    try:
        db.executescript(
            """
            CREATE TABLE products (
                id INTEGER PRIMARY KEY, name TEXT NOT NULL, line TEXT NOT NULL,
                price_usd REAL NOT NULL
            );
            CREATE TABLE sales (
                product_id INTEGER NOT NULL REFERENCES products(id), month TEXT NOT NULL,
                region TEXT NOT NULL, units INTEGER NOT NULL, returns INTEGER NOT NULL
            );
            """
        )
        db.executemany("INSERT INTO products VALUES (?, ?, ?, ?)", PRODUCTS)
        rows = []
        for product_id, by_region in TRENDS.items():
            for region, (start, step) in by_region.items():
                for index, month in enumerate(MONTHS):
                    units = start + step * index
                    rows.append(
                        (product_id, month, region, units, round(units * RETURNS[product_id]))
                    )
        db.executemany("INSERT INTO sales VALUES (?, ?, ?, ?, ?)", rows)
        db.commit()
        db.execute("VACUUM")
    finally:
        db.close()
    return target


if __name__ == "__main__":
    print(f"wrote {build().relative_to(HERE)}")
