# Sourced by scripts/test-env.sh and scripts/install-buildx.sh: fetch .debs from Debian 13 (trixie)
# without touching the machine's apt sources (a private sources list, lists dir and cache under
# $STATE/apt-trixie, with the mirror the machine already uses). The caller defines STATE and die.

debian_mirror() {
  local uri=''
  if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
    uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' \
      /etc/apt/sources.list.d/debian.sources)
  fi
  if [[ -z $uri && -f /etc/apt/sources.list ]]; then
    uri=$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }' \
      /etc/apt/sources.list)
  fi
  [[ -n $uri ]] || die "cannot find the Debian mirror in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list"
  printf '%s\n' "${uri%/}"
}

# download_trixie <dest dir> <package...>: fetch .debs from Debian 13 into <dest dir>.
download_trixie() { download_suite trixie "$@"; }

# download_suite <suite> <dest dir> <package...>: the same from any Debian suite (sid for buildx 0.29).
download_suite() {
  local suite=$1 dest=$2
  shift 2
  local apt=$STATE/apt-$suite
  mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$dest"
  local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  printf 'deb [signed-by=%s] %s %s main\n' "$keyring" "$(debian_mirror)" "$suite" >"$apt/sources.list"
  local opts=(-o "Dir::Etc::sourcelist=$apt/sources.list" -o Dir::Etc::sourceparts=-
    -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache" -o APT::Get::List-Cleanup=0)
  # Package lists are refreshed when older than a day (or missing).
  if [[ -z $(find "$apt/lists" -maxdepth 1 -name '*_Packages*' -mmin -1440 2>/dev/null | head -1) ]]; then
    apt-get "${opts[@]}" update -qq >"$apt/update.log" 2>&1 || die "apt-get update for $suite failed" "$apt/update.log"
  fi
  (cd "$dest" && apt-get "${opts[@]}" download "$@" >"$apt/download.log" 2>&1) ||
    die "apt-get download $* from $suite failed" "$apt/download.log"
}
