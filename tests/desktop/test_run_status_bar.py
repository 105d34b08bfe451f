"""The run status bar says where map items run: here, a cluster's live workers with this
run's items done by each (a lost worker named in the tooltip), or a lost cluster with why."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from desktop.run.status_widget import RunStatusWidget
from engine.cluster.connection import Cluster, Worker


def test_the_status_bar_names_where_items_run_and_a_lost_cluster(qtbot: QtBot) -> None:
    bar = RunStatusWidget()
    qtbot.addWidget(bar)
    bar.show_place(None)
    assert bar.where.text() == "local"

    a, b = Worker("a:1", 11, None, done=7), Worker("b:2", 12, None, done=4, busy=2)
    c = Worker("c:3", 13, None, done=9, alive=False)
    cluster = Cluster("10.0.0.5:6390", [a, b, c], in_flight=4)
    bar.show_place(cluster, {"a:1": 4, "b:2": 0, "c:3": 9})  # counts when the run began
    assert bar.where.text() == "cluster: 2 workers (3 · 4 items)"
    tip = bar.where.toolTip().splitlines()
    assert tip == [
        "Map items run on the cluster at 10.0.0.5:6390",
        "a:1: 3 done, 0 in flight",
        "b:2: 4 done, 2 in flight",
        "c:3: lost",
    ]

    cluster.lost = "the cluster's head at 10.0.0.5:6390 stopped answering"
    bar.show_place(cluster, {})
    assert bar.where.text() == "cluster lost"
    assert bar.where.toolTip() == cluster.lost
