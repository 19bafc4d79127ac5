"""storage.regions: agency names → GB/T 2260 code, level and kind, offline."""

from __future__ import annotations

import pytest

from storage.regions import Region, resolve_region


@pytest.mark.parametrize(
    ("name", "code", "level", "kind"),
    [
        ("湖州市吴兴区人力资源和社会保障局", "330502", "county", "department"),
        ("吴兴区人力资源和社会保障局", "330502", "county", "department"),  # unique county name alone
        ("浙江省财政厅", "330000", "province", "department"),
        ("浙江省人民政府", "330000", "province", "government"),
        ("上海市人民政府", "310000", "province", "government"),  # municipalities are provincial
        ("上海市人民政府办公厅", "310000", "province", "department"),
        ("北京市海淀区人民政府", "110108", "county", "government"),
        ("六安市人民政府", "341500", "city", "government"),
        ("湖州市乡村振兴局", "330500", "city", "department"),  # 乡 in 乡村 is not a township
        ("国家税务总局湖州市税务局", "330500", "city", "department"),
        ("宁波市江北区庄桥街道办事处", "330205", "town", "government"),
        ("长兴县水口乡人民政府", "330522", "town", "government"),
        ("国务院", None, "national", "government"),
        ("国务院办公厅", None, "national", "department"),
        ("中华人民共和国教育部", None, "national", "department"),
    ],
)
def test_resolve_region(name: str, code: str | None, level: str, kind: str) -> None:
    region = resolve_region(name)
    assert region is not None
    assert (region.code, region.level, region.kind) == (code, level, kind)
    assert not region.ambiguous


def test_names_of_the_places_above() -> None:
    assert resolve_region("湖州市吴兴区人力资源和社会保障局") == Region(
        code="330502", level="county", kind="department", province="浙江省", city="湖州市", county="吴兴区"
    )
    jiyuan = resolve_region("济源市人民政府")  # a county-level city directly under the province
    assert jiyuan is not None and (jiyuan.code, jiyuan.city) == ("419001", None)


def test_ambiguous_bare_county_name_gets_no_code_unless_told_where() -> None:
    bare = resolve_region("朝阳区人民政府")  # Beijing and Changchun both have one
    assert bare is not None and bare.ambiguous and bare.code is None
    assert (bare.level, bare.kind, bare.province) == ("county", "government", None)
    beijing = resolve_region("朝阳区人民政府", within="110000")
    assert beijing is not None and (beijing.code, beijing.province) == ("110105", "北京市")
    assert resolve_region("朝阳区人民政府", within="22").code == "220104"
    assert resolve_region("朝阳区人民政府", within="33").code is None  # none in Zhejiang


@pytest.mark.parametrize("name", ["", "   ", "某某单位"])
def test_names_without_a_place(name: str) -> None:
    assert resolve_region(name) is None
