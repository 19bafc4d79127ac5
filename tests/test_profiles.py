"""spiders/profiles.py: every shipped profile loads; each kind of bad field gives a named, clear error."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from spiders.profiles import (
    CMS_FAMILIES,
    PROFILES_DIR,
    STATUSES,
    PortalProfile,
    ProfileError,
    get_profile,
    load_profile,
    load_profiles,
    profile_from_dict,
)

REPLICA_PROFILES = Path(__file__).parent / "replica" / "profiles"
SECTION15 = (
    "nb-zh-gov",
    "nb-zh-rsj",
    "zj-rlsbt",
    "hz-wuxing-rsj",
    "gd-gkmlpt",
    "bj-gknb",
    "sh-nw12344",
    "mohrss-nb",
)

MINIMAL = {
    "id": "x-test",
    "agency": "测试局",
    "host": "www.example.gov.cn",
    "cms": "trs",
    "start_urls": ["https://www.example.gov.cn/zfxxgknb/"],
    "status": "unverified",
}


def test_all_shipped_profiles_load():
    profiles = load_profiles()
    assert set(SECTION15) <= set(profiles)
    for pid, profile in profiles.items():
        assert isinstance(profile, PortalProfile)
        assert profile.id == pid
        assert profile.cms in CMS_FAMILIES
        assert profile.status == "unverified"  # nothing here was crawled live
        assert profile.is_bound
        assert profile.fetch.delay_s >= 1.0  # real portals: polite by default


def test_seed_agency_profiles():
    gov, rsj = get_profile("nb-zh-gov"), get_profile("nb-zh-rsj")
    assert gov.host == rsj.host == "www.zh.gov.cn"
    assert "人力资源和社会保障局" in rsj.agency
    assert gov.agency == "宁波市镇海区人民政府"


def test_replica_profiles_load_and_bind():
    profiles = load_profiles(REPLICA_PROFILES)
    assert {
        "replica-jcms",
        "replica-trs",
        "replica-gkmlpt",
        "replica-shanghai",
        "replica-jpaas",
        "replica-xxgk",
        "replica-xxgk-annual",
        "replica-static",
    } <= set(profiles)
    jcms = profiles["replica-jcms"]
    assert not jcms.is_bound
    bound = jcms.bind("http://127.0.0.1:4100/", oss="http://127.0.0.1:4101")
    assert bound.is_bound
    assert bound.host == "127.0.0.1:4100"
    assert bound.start_urls == ("http://127.0.0.1:4100/col/col1229000001/index.html",)
    assert bound.attachments.allowed_hosts == ("127.0.0.1:4101",)
    annual = profiles["replica-xxgk-annual"].bind("http://127.0.0.1:9", oss="http://127.0.0.1:10")
    assert annual.report_urls[0].endswith("fbtime={year}")  # {year} survives binding


def test_bind_without_named_base_names_the_placeholder():
    with pytest.raises(ProfileError, match=r"\{base:oss\}|\{host:oss\}"):
        load_profiles(REPLICA_PROFILES)["replica-jcms"].bind("http://127.0.0.1:1")


def test_defaults_fill_optional_sections():
    p = profile_from_dict(MINIMAL)
    assert p.list.mode == "static_html" and p.pagination.kind == "none"
    assert p.filter.include_re.search("某局2023年政府信息公开工作年度报告")
    assert p.filter.exclude_re.search("2023年政府信息公开工作年度报告解读")
    assert "pdf" in p.attachments.extensions
    assert p.fetch.render == "off"


def test_yaml_off_means_render_off():
    p = profile_from_dict({**MINIMAL, "fetch": yaml.safe_load("render: off")})
    assert p.fetch.render == "off"


def test_stop_when_with_stub_size():
    p = profile_from_dict(
        {**MINIMAL, "pagination": {"kind": "index_n", "stop_when": ["empty_page", {"stub_under_bytes": 400}]}}
    )
    assert p.pagination.stub_under_bytes == 400
    assert "stub_under_bytes" in p.pagination.stop_when


@pytest.mark.parametrize(
    ("change", "field", "fragment"),
    [
        ({"cms": "wordpress"}, "cms", "allowed: hanweb_jcms"),
        ({"status": "ok"}, "status", "allowed: " + ", ".join(STATUSES)),
        ({"id": "Bad ID"}, "id", "lower-case"),
        ({"host": "https://www.example.gov.cn/"}, "host", "bare host"),
        ({"start_urls": ["/relative/path"]}, "start_urls", "absolute http(s) URL"),
        ({"start_urls": []}, "start_urls", "is required"),
        ({"agency": None}, "agency", "is required"),
        ({"colour": "red"}, "colour", "unknown field"),
        ({"list": {"mode": "xml"}}, "list.mode", "allowed: static_html"),
        ({"list": {"itme": "li"}}, "list.itme", "unknown field"),
        ({"list": {"link_regex": "art_("}}, "list.link_regex", "not a valid regular expression"),
        ({"pagination": {"kind": "pages"}}, "pagination.kind", "allowed: none"),
        ({"pagination": {"max_pages": 0}}, "pagination.max_pages", "must be >= 1"),
        ({"pagination": {"stop_when": ["never"]}}, "pagination.stop_when", "not a known condition"),
        ({"filter": {"years": [2025, 2019]}}, "filter.years", "first <= last"),
        ({"filter": {"year_regex": r"\d{4}"}}, "filter.year_regex", "capturing group"),
        ({"fetch": {"render": "sometimes"}}, "fetch.render", "allowed: off, on_challenge, always"),
        ({"fetch": {"encoding": "klingon"}}, "fetch.encoding", "not a codec"),
        ({"fetch": {"delay_s": -1}}, "fetch.delay_s", "non-negative"),
        ({"fetch": {"obey_robots": "yes"}}, "fetch.obey_robots", "true or false"),
        (
            {"attachments": {"allowed_hosts": ["https://oss.example.com/"]}},
            "attachments.allowed_hosts",
            "bare",
        ),
        ({"level": "village-gov"}, "level", "allowed: national-gov"),
        ({"report_urls": ["https://www.example.gov.cn/r.jsp?fbtime=2023"]}, "report_urls", "{year}"),
        ({"report_urls": ["https://x.gov.cn/r.jsp?fbtime={year}"]}, "filter.years", "is required"),
    ],
)
def test_bad_field_gives_clear_error(change, field, fragment):
    data = {**MINIMAL, **change}
    with pytest.raises(ProfileError) as info:
        profile_from_dict(data, "bad.yaml")
    err = info.value
    assert err.field == field
    assert str(err).startswith(f"bad.yaml: field {field!r}")
    assert fragment in str(err)


def test_file_errors_name_the_file(tmp_path):
    bad = tmp_path / "x-test.yaml"
    bad.write_text("id: [unclosed", encoding="utf-8")
    with pytest.raises(ProfileError, match=r"x-test\.yaml.*not valid YAML"):
        load_profile(bad)
    wrong = tmp_path / "other-name.yaml"
    wrong.write_text(yaml.safe_dump(MINIMAL, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ProfileError, match="must match the file name"):
        load_profile(wrong)


def test_unknown_profile_id_lists_known_ones():
    with pytest.raises(ProfileError) as info:
        get_profile("no-such-portal")
    assert "nb-zh-gov" in str(info.value)


def test_profiles_are_frozen():
    p = profile_from_dict(MINIMAL)
    with pytest.raises(AttributeError):
        p.cms = "static"  # type: ignore[misc]
    with pytest.raises(TypeError):
        p.list.params["x"] = 1  # type: ignore[index]


def test_profiles_dir_is_the_package_dir():
    assert PROFILES_DIR.name == "profiles" and (PROFILES_DIR / "nb-zh-gov.yaml").is_file()
