//! The examples at the end of each command's `--help` (and man page): real commands, run on
//! the project's own captures where they read one.

pub const DOH: &str = "\
Examples:
  ietfwg doh query example.com AAAA
  ietfwg doh query example.com --server https://dns.google/dns-query --json
  ietfwg doh encode example.com --format url";

pub const DOH_QUERY: &str = "\
Examples:
  ietfwg doh query example.com AAAA
  ietfwg doh query example.com TXT --server https://dns.google/dns-query --short
  ietfwg doh query . DNSKEY --do --json
  ietfwg doh query example.com --http3 --get --0rtt --timing";

pub const DOH_BATCH: &str = "\
Examples:
  printf 'example.com A\\nexample.org AAAA\\n' | ietfwg doh batch
  ietfwg doh batch names.txt --concurrency 16 --get";

pub const DOH_ENCODE: &str = "\
Examples:
  ietfwg doh encode example.com AAAA
  ietfwg doh encode example.com --format url --server https://dns.google/dns-query
  ietfwg doh encode example.com MX --format hex --no-pad";

pub const DOH_DECODE: &str = "\
Examples:
  ietfwg doh encode example.com AAAA --format hex | ietfwg doh decode --format hex
  ietfwg doh decode --format base64url <<< AAABAAABAAAAAAAAB2V4YW1wbGUDY29tAAABAAE
  ietfwg doh decode --json < answer.bin";

pub const SIXLO: &str = "\
Examples:
  ietfwg 6lo decode pcaps/6lo/frag-udp.pcap
  ietfwg 6lo decode --brief pcaps/6lo/mesh-bc0.pcap
  ietfwg 6lo stats pcaps/6lo/frag-udp.pcap";

pub const SIXLO_DECODE: &str = "\
Examples:
  ietfwg 6lo decode pcaps/6lo/frag-udp.pcap
  ietfwg 6lo decode -x --frames 5 pcaps/6lo/frag-udp.pcap     # one frame, byte by byte
  ietfwg 6lo decode pcaps/6lo-ble/ipsp-phdr.pcap              # 6LoWPAN over Bluetooth LE (RFC 7668)
  ietfwg 6lo decode --brief --context 0=2001:db8::/64 capture.pcap
  echo 4198 01cd ab01 0002 007a 333a 8000 0000 0001 0001 | ietfwg 6lo decode --hex
  ietfwg 6lo decode --zep-listen 17754 -w sniffed.pcapng         # ZEP from a sniffer
  sudo ietfwg 6lo decode --interface wpan0mon --json            # an 802.15.4 monitor interface";

pub const SIXLO_ZEP_SEND: &str = "\
Examples:
  ietfwg 6lo zep-send pcaps/6lo/frag-udp.pcap                  # to Wireshark on 127.0.0.1:17754
  ietfwg 6lo zep-send capture.pcapng --to 192.0.2.7:17754 --realtime
  ietfwg 6lo decode --zep-listen 47001 & ietfwg 6lo zep-send pcaps/6lo/hc1.pcap --to 47001";

pub const SIXLO_DECOMPRESS: &str = "\
Examples:
  ietfwg 6lo decompress pcaps/6lo/frag-icmpv6-echo.pcap -o echo.pcap
  ietfwg 6lo decompress pcaps/6lo/frag-udp.pcap -o - | tshark -r -";

pub const SIXLO_COMPRESS: &str = "\
Examples:
  ietfwg 6lo compress echo.pcap -o echo-6lo.pcap --fcs
  ietfwg 6lo compress pcaps/6lo/ipv6-uncompressed.pcap -o small.pcap --stats
  ietfwg 6lo compress ipv6.pcap -o mesh.pcap --mesh-hops 4 --frame-size 64
  ietfwg 6lo compress ipv6.pcap -o ble.pcap --link ble --stats   # Bluetooth LE, both links compared";

pub const IKEV2: &str = "\
Examples:
  ietfwg ikev2 decode --brief pcaps/ikev2/natt-rekey-delete.pcap
  ietfwg ikev2 summary pcaps/ikev2/no-proposal.pcap
  ietfwg ikev2 audit pcaps/ikev2/3des-sha1-modp2048.pcap";

pub const IKEV2_DECODE: &str = "\
Examples:
  ietfwg ikev2 decode pcaps/ikev2/aes-gcm-ecp256.pcap
  ietfwg ikev2 decode -x --frames 3 --keys pcaps/ikev2/cookie.keys pcaps/ikev2/cookie.pcap
  ietfwg ikev2 decode --brief --sa 168bdb3e97be0907 pcaps/ikev2/natt-rekey-delete.pcap";

pub const IKEV2_SUMMARY: &str = "\
Examples:
  ietfwg ikev2 summary pcaps/ikev2/no-proposal.pcap
  ietfwg ikev2 summary --keys pcaps/ikev2/wrong-psk.keys pcaps/ikev2/wrong-psk.pcap
  ietfwg ikev2 summary --json --sa 168bdb3e97be0907 pcaps/ikev2/natt-rekey-delete.pcap";

pub const IKEV2_AUDIT: &str = "\
Examples:
  ietfwg ikev2 audit pcaps/ikev2/3des-sha1-modp2048.pcap
  ietfwg ikev2 audit --json pcaps/ikev2/aes-gcm-ecp256.pcap";

pub const IKEV2_REPLAY: &str = "\
Examples:
  ietfwg ikev2 replay pcaps/ikev2/aes-gcm-ecp256.pcap --to 192.0.2.1
  ietfwg ikev2 replay capture.pcap --to vpn.example.net --psk secret --id fqdn:me.example";

pub const IKEV2_PROBE: &str = "\
Examples:
  ietfwg ikev2 probe 192.0.2.1
  ietfwg ikev2 probe vpn.example.net --scan --rate 5
  ietfwg ikev2 probe 192.0.2.1 --proposals aes256gcm16-prfsha384-ecp384 --json";

pub const COMPLETIONS: &str = "\
Examples:
  ietfwg completions bash > ~/.local/share/bash-completion/completions/ietfwg
  ietfwg completions zsh > ~/.zfunc/_ietfwg
  ietfwg completions fish > ~/.config/fish/completions/ietfwg.fish";

pub const MAN: &str = "\
Examples:
  ietfwg man | man -l -
  ietfwg man --dir /usr/local/share/man/man1     # one page per command";

pub const SIXLO_STATS: &str = "\
Examples:
  ietfwg 6lo stats pcaps/6lo/frag-udp.pcap
  ietfwg 6lo stats --json pcaps/6lo/mesh-bc0.pcap
  ietfwg 6lo stats --frames 1-100 capture.pcap";

pub const IKEV2_STATS: &str = "\
Examples:
  ietfwg ikev2 stats pcaps/ikev2/natt-rekey-delete.pcap
  ietfwg ikev2 stats --json pcaps/ikev2/fragmentation.pcap";
