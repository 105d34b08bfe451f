"""The thermostat schedule: set points applied every day."""

from dataclasses import dataclass, field

VERSION = 1


@dataclass
class SetPoint:
    minute_of_day: int
    celsius: float


@dataclass
class Schedule:
    points: list[SetPoint] = field(default_factory=list)

    def target(self, minute_of_day: int) -> float:
        """The temperature at a minute of the day (the last set point before it)."""
        current = self.points[-1].celsius if self.points else 20.0
        for point in sorted(self.points, key=lambda p: p.minute_of_day):
            if point.minute_of_day <= minute_of_day:
                current = point.celsius
        return current
