"""A real browser shows the admin login page in Chinese, drawn with a CJK font (no tofu boxes)."""

from playwright.sync_api import expect

CJK_FONT_HINTS = ("CJK", "WenQuanYi", "WQY", "Droid Sans Fallback", "AR PL", "Source Han")


def platform_fonts(page, selector: str) -> list[str]:
    """The fonts Chromium really used to draw the text of `selector` (DevTools CSS domain)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    cdp.detach()
    return [f["familyName"] for f in fonts if f["glyphCount"] > 0]


def test_admin_login_page_shows_chinese_with_a_cjk_font(page, live_server, screenshot_dir):
    page.goto(f"{live_server.url}/admin/login/")

    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page).to_have_title("登录 | 惠企政策兑现平台")
    expect(page.locator("#site-name")).to_have_text("惠企政策兑现平台 · 管理后台")
    expect(page.locator('input[type="submit"]')).to_have_value("登录")
    expect(page.locator('label[for="id_password"]')).to_contain_text("密码")
    page.screenshot(path=screenshot_dir / "admin-login.png", full_page=True)

    fonts = platform_fonts(page, "#site-name a")
    assert any(hint in name for name in fonts for hint in CJK_FONT_HINTS), (
        f"标题用的字体没有中文字形（会显示成方框）：{fonts}；请安装 fonts-noto-cjk"
    )
