#!/usr/bin/env bash
# Debian's chromium and its chromedriver, for the HTML report's browser tests (tests/browser).
# .ci/run calls it before the tests; run it once by hand (as root) to run those tests locally.
# Nothing else is downloaded: Selenium is given /usr/bin/chromedriver and never fetches a driver.
set -euo pipefail
if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
  chromium --version
  exit 0
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-dejavu-core >/dev/null
chromium --version
chromedriver --version
