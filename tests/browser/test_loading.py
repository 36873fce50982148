"""An administrator loads departments from a CSV by clicking: a file with a bad row is refused
with the row and its reason and writes nothing; the corrected file is checked, confirmed and
written; every page on the way is checked for accessibility (tests/browser/conftest.py)."""

import pytest
from playwright.sync_api import expect

from windows.models import Department

from .test_sign_in import sign_in

HEADER = "部门代码,部门名称,简称\n"


@pytest.mark.usefixtures("transactional_db")
def test_an_administrator_loads_departments_from_a_csv(live_server, page, shot, center, tmp_path):
    before = Department.objects.count()
    bad, good = tmp_path / "bad.csv", tmp_path / "good.csv"
    bad.write_text(HEADER + "hbj,临安市环境保护局,环保局\n,临安市水利局,水利局\n", encoding="utf-8")
    good.write_text(HEADER + "hbj,临安市环境保护局,环保局\n", encoding="utf-8")

    sign_in(page, live_server, "root")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="表格导入导出").click()
    page.get_by_label("文件内容").select_option("departments")
    page.locator("input[type=file]").set_input_files(str(bad))
    page.get_by_role("button", name="校验文件").click()
    expect(page.get_by_role("main")).to_contain_text("未写入任何数据")
    expect(page.get_by_role("main").locator("table")).to_contain_text("部门代码")
    shot("loading-refused-zh")
    assert Department.objects.count() == before

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="表格导入导出").click()
    page.get_by_label("文件内容").select_option("departments")
    page.locator("input[type=file]").set_input_files(str(good))
    page.get_by_role("button", name="校验文件").click()
    page.get_by_test_id("commit").click()
    expect(page.get_by_role("main")).to_contain_text("新增 1 行")
    shot("loading-written-zh")
    assert Department.objects.filter(code="hbj").exists()
