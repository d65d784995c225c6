"""Demo institutions, accounts, borrowers, IP assets, pledges and loans."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.demo import vocabulary
from market.domain.roles import ROLE_OF_INSTITUTION, InstitutionKind
from market.models import (
    PPM,
    Enterprise,
    Institution,
    IPAsset,
    LegalStatus,
    Loan,
    LoanStatus,
    Pledge,
    User,
)
from market.services.accounts import hash_password

DEMO_PASSWORD = "demo-password"

INSTITUTIONS = [
    # (email local part, name, kind, credit code, region, licensed financial, bank NPL ppm)
    ("operator", "北京知识产权交易中心", InstitutionKind.TRADING_CENTRE, "91110000MA01TC0001", "北京", False, None),
    ("bank1", "中国工商银行北京分行", InstitutionKind.BANK, "91110000MA01BK0001", "北京", True, 13_500),
    ("bank2", "北京银行中关村分行", InstitutionKind.BANK, "91110000MA01BK0002", "北京", True, 11_200),
    ("bank3", "江苏银行苏州分行", InstitutionKind.BANK, "91320500MA01BK0003", "苏州", True, 9_800),
    ("guarantor", "北京中关村科技融资担保有限公司", InstitutionKind.GUARANTOR, "91110000MA01GT0001", "北京", False, None),
    ("insurer", "中国人民财产保险股份有限公司北京分公司", InstitutionKind.INSURER, "91110000MA01IN0001", "北京", False, None),
    ("agency", "北京中金浩资产评估有限责任公司", InstitutionKind.AGENCY, "91110000MA01AG0001", "北京", False, None),
    ("bureau", "北京市财政局", InstitutionKind.BUREAU, "11110000MB0BU00001", "北京", False, None),
    ("aic", "工银金融资产投资有限公司", InstitutionKind.AIC, "91110000MA01AI0001", "北京", True, None),
]

ENTERPRISES = [  # (name, industry)
    ("北京智芯微电子科技有限公司", "集成电路"), ("中科慧眼视觉技术有限公司", "人工智能"),
    ("苏州纳微新材料股份有限公司", "新材料"), ("北京康辰生物医药有限公司", "生物医药"),
    ("深蓝航天动力科技有限公司", "高端装备"), ("北京百望云软件有限公司", "软件和信息服务"),
    ("无锡华芯半导体有限公司", "集成电路"), ("北京国科天成光电有限公司", "集成电路"),
    ("苏州绿控传动科技有限公司", "新能源"), ("北京易诚互动网络技术有限公司", "软件和信息服务"),
    ("天津凯发电气股份有限公司", "节能环保"), ("北京赛诺医疗器械有限公司", "生物医药"),
    ("江苏恒立液压科技有限公司", "高端装备"), ("北京京仪自动化装备有限公司", "高端装备"),
    ("苏州锐发打印技术有限公司", "高端装备"), ("北京华大九天软件有限公司", "集成电路"),
    ("北京寒武纪智能科技有限公司", "人工智能"), ("苏州敏芯微电子技术有限公司", "集成电路"),
    ("北京稻香村食品有限公司", "食品"), ("苏州蝶理纺织品有限公司", "新材料"),
    ("北京万泰生物药业有限公司", "生物医药"), ("北京佳讯飞鸿电气股份有限公司", "软件和信息服务"),
    ("苏州天准科技股份有限公司", "高端装备"), ("北京数码视讯科技有限公司", "软件和信息服务"),
    ("北京同仁堂健康药业有限公司", "生物医药"), ("苏州金螳螂装饰设计有限公司", "文化创意"),
    ("北京四维图新科技有限公司", "人工智能"), ("阳澄湖大闸蟹产业发展有限公司", "食品"),
    ("北京飞天诚信科技有限公司", "软件和信息服务"), ("苏州工业园区星海动漫有限公司", "文化创意"),
]


def seed(session: so.Session, now: datetime) -> bool:
    """Create the demo institutions, accounts, borrowers, assets, pledges and loans if missing."""
    if session.scalar(sa.select(User.id).where(User.email == "operator@demo.test")):
        return False
    rng = random.Random(20261122)
    password_hash = hash_password(DEMO_PASSWORD)
    opened = now - timedelta(days=400)  # the accounts exist from before any demo story starts
    institutions: dict[str, Institution] = {}
    for local, name, kind, code, region, licensed, npl in INSTITUTIONS:
        institution = Institution(name=name, kind=kind, credit_code=code, region=region,
                                  licensed_financial=licensed, npl_ratio_ppm=npl)
        session.add(institution)
        institutions[local] = institution
        session.add(User(email=f"{local}@demo.test", display_name=name, password_hash=password_hash,
                         role=ROLE_OF_INSTITUTION[kind], institution=institution, created_at=opened))
    # a second bureau user, so four-eyes approval can be shown
    session.add(User(email="bureau2@demo.test", display_name="北京市财政局（复核）", password_hash=password_hash,
                     role=ROLE_OF_INSTITUTION[InstitutionKind.BUREAU], institution=institutions["bureau"],
                     created_at=opened))

    enterprises = []
    for index, (name, industry) in enumerate(ENTERPRISES):
        enterprise = Enterprise(
            name=name, credit_code=f"91{110000 + index:06d}MA0E{index:04d}X"[:18],
            industry=industry, region="苏州" if "苏州" in name or "江苏" in name else "北京",
            whitelisted=index % 3 == 0,
        )
        session.add(enterprise)
        enterprises.append(enterprise)
    session.flush()

    assets_by_owner: dict[int, list[IPAsset]] = {}
    for index in range(60):
        owner = enterprises[index % len(enterprises)]
        kind = vocabulary.pick_kind(owner.industry, rng)
        title, number = vocabulary.asset_title_and_number(kind, 800_000 + index, rng, owner.industry)
        asset = IPAsset(
            kind=kind, registry_number=number, title=title, owner_id=owner.id,
            co_owners=["清华大学"] if index % 11 == 3 else [],
            legal_status=LegalStatus.LAPSED if index == 59 else LegalStatus.VALID,
            expires_on=date(2030 + index % 10, 1 + index % 12, 1 + index % 27),
        )
        session.add(asset)
        assets_by_owner.setdefault(owner.id, []).append(asset)
    session.flush()

    banks = [institutions["bank1"], institutions["bank2"], institutions["bank3"]]
    for index in range(40):
        enterprise = enterprises[index % len(enterprises)]
        bank = banks[index % 3]
        principal = rng.choice([300, 500, 800, 1000, 1500, 2000, 3000, 5000]) * 10_000 * 100
        start = (now - timedelta(days=rng.randint(200, 900))).date()
        status = LoanStatus.DEFAULTED if index % 4 == 0 else LoanStatus.PERFORMING
        pledge = Pledge(
            registration_number=f"Y{start.year}990{index:05d}", pledgee=bank,
            secured_amount_fen=principal, registered_on=start,
            assets=assets_by_owner.get(enterprise.id, [])[: 1 + index % 2],
        )
        stack = index % 3  # 0: full stack, 1: bank and guarantor, 2: bank alone
        shares = [(400_000, 300_000, 200_000, 100_000), (500_000, 500_000, 0, 0), (PPM, 0, 0, 0)][stack]
        session.add(Loan(
            contract_number=f"{bank.credit_code[-6:]}-ZY-{start.year}-{index:04d}",
            bank=bank, enterprise=enterprise, pledge=pledge, principal_fen=principal,
            outstanding_principal_fen=principal if status == LoanStatus.DEFAULTED else principal * 3 // 4,
            unpaid_interest_fen=principal * 45 // 1000 // 2 if status == LoanStatus.DEFAULTED else 0,
            annual_rate_ppm=rng.choice([38_500, 42_000, 45_000, 48_500]),
            appraised_value_fen=principal * 2,
            start_date=start, maturity_date=start + timedelta(days=1095),
            defaulted_on=(now - timedelta(days=rng.randint(30, 120))).date() if status == LoanStatus.DEFAULTED else None,
            status=status,
            guarantor=institutions["guarantor"] if shares[1] else None,
            insurer=institutions["insurer"] if shares[2] else None,
            agency=institutions["agency"] if shares[3] else None,
            bank_share_ppm=shares[0], guarantor_share_ppm=shares[1], insurer_share_ppm=shares[2],
            agency_share_ppm=shares[3], reguarantee_ppm=500_000 if shares[1] else 0,
            reinsurance_ppm=250_000 if shares[2] else 0,
        ))
    session.flush()
    return True
