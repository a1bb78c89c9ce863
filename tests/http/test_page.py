"""The web page in a real headless Chromium (Debian's, never a downloaded one), against
the daemon with simulated devices and a real broker."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from setsmart.history import Sample, open_database
from setsmart.sim import SimDevice
from tests.daemon.harness import KEY, Dev, config_text, daemon
from tests.http.test_e2e_http import http_section
from tests.support.broker import free_tcp_port, running_broker

playwright = pytest.importorskip("playwright.async_api")

CHROMIUM = "/usr/bin/chromium"
#: Where the README's screenshot is written when this is set (`docs/page.png`).
SCREENSHOT = os.environ.get("SETSMART_SCREENSHOT")

pytestmark = [
    pytest.mark.timeout(90),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium is not installed"),
]


def recorded_history(state_dir: Path, device: str) -> None:
    """Two hours of power readings and three hours of energy, as an earlier run kept."""
    now = time.time()
    db, _ = open_database(state_dir)
    samples = [
        Sample(device, "power", now - 7200 + 300 * i, 40.0 + 20.0 * (i % 5)) for i in range(24)
    ]
    hour = int(now // 3600) * 3600
    db.write(samples, {(device, hour - 3600 * i): 0.05 * (i + 1) for i in range(3)})
    db.close()


async def test_the_page_shows_and_controls_every_device(tmp_path: Path) -> None:
    port = free_tcp_port()
    recorded_history(tmp_path / "state", "plug")
    async with (
        running_broker(tmp_path) as broker,
        SimDevice(
            "bfpage00000000000001",
            KEY,
            "3.4",
            "plug",
            host="127.0.0.71",
            dps={"1": False},
            load_watts=60.0,
        ) as plug,
        SimDevice("bfpage00000000000002", KEY, "3.3", "bulb", host="127.0.0.72") as bulb,
        daemon(
            tmp_path,
            config_text(broker, [Dev("plug", plug), Dev("bulb", bulb)]) + http_section(port, None),
        ),
        playwright.async_playwright() as driver,
    ):
        browser = await driver.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = await browser.new_page(viewport={"width": 1100, "height": 800})
            await page.goto(f"http://127.0.0.1:{port}/")
            plug_card = page.locator('article[data-device="plug"]')
            bulb_card = page.locator('article[data-device="bulb"]')
            await plug_card.locator(".availability", has_text="online").wait_for()
            await bulb_card.locator(".availability", has_text="online").wait_for()
            await page.locator("#stream", has_text="live").wait_for()
            assert not await page.locator("#token-form").is_visible()
            # Switch the plug from the page: the device is on.
            switch = plug_card.locator('button.switch[data-key="state"]')
            await switch.click()
            await plug_card.locator('button.switch[aria-pressed="true"]').wait_for()
            assert plug.dps["1"] is True
            # Dim the bulb: the device gets a new brightness.
            before = dict(bulb.dps)
            slider = bulb_card.locator('input[data-key="brightness"]')
            await slider.fill("60")
            await slider.dispatch_event("change")
            for _ in range(50):
                if bulb.dps != before:
                    break
                await page.wait_for_timeout(100)
            assert bulb.dps != before
            # A push from the device reaches the page without a reload.
            await plug.set_dps({"1": False})
            await plug_card.locator('button.switch[aria-pressed="false"]').wait_for()
            # The power plot from the recorded history.
            await plug_card.locator(".plot.power svg polyline").wait_for()
            if SCREENSHOT:
                await page.screenshot(path=SCREENSHOT, full_page=True)
        finally:
            await browser.close()
