"""The pool's make-up: the admin's yearly target of experts from outside the province,
whether large claims must draw one, and the share the pool reaches."""
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import case, func, select

from marketplace.claims.expert_models import ExpertProfile
from marketplace.core import audit
from marketplace.core.rows import hold_key
from marketplace.core.timeutil import now_utc
from marketplace.experts.models import PoolSetting
from marketplace.experts.provinces import home_province
from marketplace.extensions import db


@dataclass(frozen=True)
class Setting:
    year: int
    out_of_province_target_bp: int
    require_out_of_province: bool
    is_saved: bool


@dataclass(frozen=True)
class Share:
    year: int
    total: int
    out_of_province: int
    target_bp: int
    require_out_of_province: bool

    @property
    def share_bp(self):
        return 0 if self.total == 0 else self.out_of_province * 10_000 // self.total


def setting_for(year):
    """The year's setting, else the latest earlier year's, else the configuration's."""
    found = db.session.execute(select(PoolSetting).where(PoolSetting.year <= year)
                               .order_by(PoolSetting.year.desc()).limit(1)).scalar_one_or_none()
    if found is not None:
        return Setting(year, found.out_of_province_target_bp, found.require_out_of_province,
                       found.year == year)
    config = current_app.config
    return Setting(year, config["EXPERT_OUT_OF_PROVINCE_TARGET_BP"],
                   config["EXPERT_REQUIRE_OUT_OF_PROVINCE"], False)


def requires_out_of_province(year):
    return setting_for(year).require_out_of_province


def outside_expert_wanted(claim, *, year):
    """The answer to claims' ``outside_expert_wanted`` (connected by ``experts.init_app``):
    a panel drawn in ``year`` takes an expert from outside the province if the year asks."""
    return requires_out_of_province(year)


# core.rows.hold_key's namespace: one change of a year's setting at a time
_SETTING_LOCK_NAMESPACE = 7_100_026


def set_setting(year, actor, *, out_of_province_target_bp, require_out_of_province):
    # saved twice at once (a double click), both would find no row of the year and the
    # second insert break its unique key: the second waits, then changes the first's row
    hold_key(_SETTING_LOCK_NAMESPACE, year)
    row = db.session.execute(select(PoolSetting).where(PoolSetting.year == year)
                             ).scalar_one_or_none()
    if row is None:
        row = PoolSetting(year=year)
        db.session.add(row)
    before = {"target_bp": row.out_of_province_target_bp,
              "require": row.require_out_of_province}
    row.out_of_province_target_bp = int(out_of_province_target_bp)
    row.require_out_of_province = bool(require_out_of_province)
    row.updated_by_id, row.updated_dt = actor.id, now_utc()
    db.session.flush()
    audit.record(row, "set", actor=actor, data={
        "year": year, "before": before,
        "after": {"target_bp": row.out_of_province_target_bp,
                  "require": row.require_out_of_province}})
    return row


def pool_share(year=None):
    """Experts in the pool (active or suspended, not removed) and those of them from
    outside the province, against the year's target."""
    year = year or now_utc().year
    outside = (ExpertProfile.province.is_not(None)) & (ExpertProfile.province != home_province())
    total, out_of_province = db.session.execute(
        select(func.count(ExpertProfile.user_id),
               func.coalesce(func.sum(case((outside, 1), else_=0)), 0))
        .where(ExpertProfile.removed_dt.is_(None))).one()
    setting = setting_for(year)
    return Share(year, int(total), int(out_of_province), setting.out_of_province_target_bp,
                 setting.require_out_of_province)
