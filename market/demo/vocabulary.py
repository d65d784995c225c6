"""What demo firms own, by industry: patents, brands, works, layout designs and places that belong together.

Every demo asset is drawn from its owner's industry, so a catalogue entry under 食品 is a food patent, brand
or geographical indication, never a car-grade MCU; `industries_of` reads an asset's industry back from its
title (tests use it to check that assets and cases agree).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from market.models import IPKind


@dataclass(frozen=True)
class Industry:
    """One industry's vocabulary and how often its firms pledge each kind of IP."""

    name: str
    inventions: tuple[str, ...]  # patent titles after "一种"
    brands: tuple[str, ...]
    trademark_class: int
    works: tuple[str, ...]  # software or other copyrighted works
    layouts: tuple[str, ...] = ()  # IC layout designs
    places: tuple[str, ...] = ()  # geographical indications
    kind_weights: tuple[tuple[IPKind, int], ...] = ((IPKind.PATENT, 65), (IPKind.TRADEMARK, 20),
                                                    (IPKind.COPYRIGHT, 15))


INDUSTRIES = (
    Industry("集成电路", ("低功耗神经网络加速芯片", "MEMS压力传感器封装结构", "智能电表计量芯片", "晶圆级扇出封装结构",
                      "车规级MCU的看门狗电路"), ("智芯", "华芯", "国芯"), 9, ("芯片设计仿真平台", "EDA版图验证软件"),
             layouts=("高速SerDes接口电路", "28nm图像信号处理器", "电源管理芯片", "蓝牙低功耗SoC", "车规级MCU"),
             kind_weights=((IPKind.PATENT, 55), (IPKind.IC_LAYOUT, 25), (IPKind.TRADEMARK, 10), (IPKind.COPYRIGHT, 10))),
    Industry("生物医药", ("抗肿瘤靶向药物组合物", "可降解医用支架材料及其制备方法", "中药提取物组合物", "医用骨科植入物",
                      "单克隆抗体纯化工艺"), ("康辰", "瑞康", "康泰"), 5, ("医学影像辅助诊断软件", "临床试验数据管理系统")),
    Industry("新材料", ("石墨烯复合导热膜及其制备方法", "新型锂电池隔膜", "碳纤维增强复合材料", "高通量纳米纤维过滤膜"),
             ("纳微", "微纳"), 17, ("材料性能仿真软件",)),
    Industry("软件和信息服务", ("分布式存储的数据校验方法", "数据加密传输系统", "区块链电子存证方法"),
             ("百望", "云栖", "易诚"), 42, ("企业云财务管理系统", "供应链协同平台", "智慧园区管理系统", "在线教育直播平台"),
             kind_weights=((IPKind.COPYRIGHT, 50), (IPKind.PATENT, 35), (IPKind.TRADEMARK, 15))),
    Industry("高端装备", ("液压伺服阀的控制系统", "工业机器人关节减速器", "高精度运动控制平台", "数控机床电主轴"),
             ("恒立", "天准"), 7, ("运动控制器嵌入式固件",)),
    Industry("人工智能", ("基于深度学习的图像缺陷检测方法", "车载激光雷达点云配准方法", "农作物病虫害识别方法",
                      "多模态语音交互方法"), ("慧眼", "睿视"), 9, ("工业视觉检测软件", "自动驾驶仿真平台")),
    Industry("文化创意", ("可折叠展陈装置",), ("星海", "知行"), 41, ("动画电影《星海奇缘》", "网络游戏《山海行》",
                                                           "纪录片《运河人家》"),
             kind_weights=((IPKind.COPYRIGHT, 55), (IPKind.TRADEMARK, 35), (IPKind.PATENT, 10))),
    Industry("食品", ("传统糕点自动成型装置", "低温冷链保鲜方法", "大闸蟹暂养循环水系统"), ("稻香", "五芳"), 30,
             ("食品安全追溯系统",), places=("阳澄湖大闸蟹", "五常大米", "赣南脐橙", "西湖龙井", "库尔勒香梨"),
             kind_weights=((IPKind.TRADEMARK, 40), (IPKind.GEOGRAPHICAL_INDICATION, 25), (IPKind.PATENT, 30),
                           (IPKind.COPYRIGHT, 5))),
    Industry("新能源", ("光伏逆变器控制电路", "锂电池正极材料及其制备方法", "储能电池热管理系统"), ("绿源", "远航"), 9,
             ("储能电站能量管理系统",)),
    Industry("节能环保", ("污水处理生物膜反应器", "工业余热回收装置", "烟气脱硝催化剂"), ("蓝海", "清源"), 11,
             ("环境监测数据平台",)),
)
BY_NAME = {industry.name: industry for industry in INDUSTRIES}
NAMES = tuple(BY_NAME)


def pick_kind(industry: str, rng: random.Random) -> IPKind:
    """A kind of IP a firm of this industry would pledge."""
    weights = BY_NAME[industry].kind_weights
    return rng.choices([kind for kind, _ in weights], weights=[weight for _, weight in weights])[0]


def asset_title_and_number(kind: IPKind, seq: int, rng: random.Random, industry: str) -> tuple[str, str]:
    """A title from the industry's vocabulary and a registry number that is unique for a unique seq."""
    words = BY_NAME[industry]
    if kind == IPKind.PATENT:
        return "一种" + rng.choice(words.inventions), f"ZL{2016 + seq % 8}2{seq:08d}.{seq % 10}"
    if kind == IPKind.TRADEMARK:
        return f"“{rng.choice(words.brands)}”注册商标（第{words.trademark_class}类）", f"TM{60000000 + seq}"
    if kind == IPKind.COPYRIGHT:
        return f"{rng.choice(words.works)}V{rng.randint(1, 6)}.{rng.randint(0, 9)}", f"{2018 + seq % 7}SR{3000000 + seq}"
    if kind == IPKind.IC_LAYOUT:
        return f"{rng.choice(words.layouts)}布图设计", f"BS.{2019 + seq % 6}{seq:08d}"
    return f"“{rng.choice(words.places)}”地理标志证明商标", f"GI{900000 + seq}"


def industries_of(title: str) -> set[str]:
    """The industries whose vocabulary the title uses (one for every demo asset)."""
    found = set()
    for industry in INDUSTRIES:
        phrases = (*industry.inventions, *industry.works, *industry.layouts, *industry.places,
                   *(f"“{brand}”" for brand in industry.brands))
        if any(phrase in title for phrase in phrases):
            found.add(industry.name)
    return found
