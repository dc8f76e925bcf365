"""The workstation's dashboard (``/workstation/``): today's posts, the reviews waiting and for
how long, the last audit and checkpoint, and a chart of each month's outcomes and credits by
category (an SVG drawn on the server, with the same figures in a table beside it)."""

from __future__ import annotations

from datetime import datetime

from flask import Response, abort, render_template

from creditbank.documents.charts import monthly_chart
from creditbank.labels import category_text
from creditbank.services import dashboard
from creditbank.services.transaction import utcnow
from creditbank.web.guards import login_required
from creditbank.web.views import blp

LATEST_POSTS = 5
OLDEST_REVIEWS = 10
# The chart's own styles are inline in the SVG; nothing else may load or run.
CHART_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"
MEASURES = {
    "outcomes": ("每月登记成果数（按类别）", "成果数"),
    "credits": ("每月认定学分（按类别）", "学分"),
}


@blp.get("/")
@login_required
def overview() -> str:
    now = utcnow()
    posts_today, latest_posts = dashboard.todays_posts(LATEST_POSTS, now)
    pending, oldest = dashboard.pending_reviews(OLDEST_REVIEWS, now)
    figures = dashboard.monthly_figures(now)
    return render_template(
        "workstation/dashboard.html",
        posts_today=posts_today,
        latest_posts=latest_posts,
        pending=pending,
        oldest=oldest,
        audit=dashboard.last_audit(),
        checkpoint=dashboard.last_checkpoint(),
        figures=figures,
        category_names={c: category_text(c)["zh"] for c in figures.categories},
        measures=MEASURES,
        now=now,
    )


@blp.get("/charts/monthly-<measure>.svg")
@login_required
def monthly_svg(measure: str) -> Response:
    """The chart of one measure (``outcomes`` or ``credits``) over the last twelve months."""
    if measure not in MEASURES:
        abort(404)
    figures = dashboard.monthly_figures()
    title, y_title = MEASURES[measure]
    by_category = figures.outcomes if measure == "outcomes" else figures.credits
    scale = 1 if measure == "outcomes" else 10  # credits are stored in tenths
    series = {
        category_text(category)["zh"]: [value / scale for value in by_category[category]]
        for category in figures.categories
    }
    svg = monthly_chart(title, figures.months, series, y_title=y_title)
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Content-Security-Policy"] = CHART_CSP
    return response


@blp.app_template_filter("ago")
def ago(instant: datetime | None, now: datetime | None = None) -> str:
    """How long ago, in the largest whole unit: 5 分钟前, 3 小时前, 2 天前."""
    if instant is None:
        return ""
    seconds = max(0, int(((now or utcnow()) - instant).total_seconds()))
    if seconds < 60:
        return "刚刚"
    if seconds < 3600:
        return f"{seconds // 60} 分钟前"
    if seconds < 86400:
        return f"{seconds // 3600} 小时前"
    return f"{seconds // 86400} 天前"
