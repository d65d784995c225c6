#!/bin/sh
# Debian's chromium for the real-browser tests. Installs it when we may (root + apt); otherwise the
# browser tests skip and say why.
if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests..."
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "Could not install chromium; browser tests will be skipped."
else
  echo "chromium is not installed and we are not root; browser tests will be skipped."
fi
exit 0
