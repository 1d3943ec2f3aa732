"""Pictures of the coaching: the owner's weeks as a chart, their plan as a card (PNG and PDF).

`weeks` and `card` define the plain inputs (`WeekSeries`, `PlanCard`) and fill them from the
owner's record; `chart` and `card` draw them with matplotlib's Agg and PDF backends, in the fonts
matplotlib ships (so accents render on a bare machine); `studio` turns the references kept in the
outbox into image bytes, drawing on demand or reading what was drawn ahead (`shelf`).
"""
