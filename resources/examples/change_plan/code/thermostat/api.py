"""HTTP handlers for the schedule: GET returns it, PUT replaces it."""

from thermostat.schedule import VERSION, Schedule


def get_schedule(schedule: Schedule) -> dict:
    points = [{"minute": p.minute_of_day, "celsius": p.celsius} for p in schedule.points]
    return {"version": VERSION, "points": points}
