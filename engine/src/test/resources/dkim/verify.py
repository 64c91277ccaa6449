# Verifies every DKIM-Signature of a message with Python's dkim package (dkimpy), the TXT records served from a
# file instead of DNS. argv: message file, records file (lines "name value"). Prints one line per signature;
# exit 0 only if there is at least one signature and all verify.
import sys
import dkim

message = open(sys.argv[1], 'rb').read()
records = {}
with open(sys.argv[2], encoding='ascii') as f:
    for line in f:
        line = line.rstrip('\n')
        if line:
            name, value = line.split(' ', 1)
            records[name.lower().rstrip('.')] = value.encode('ascii')


def dnsfunc(name, timeout=5):
    if isinstance(name, bytes):
        name = name.decode('ascii')
    return records.get(name.lower().rstrip('.'))


d = dkim.DKIM(message)
count = sum(1 for (name, _) in d.headers if name.lower() == b'dkim-signature')
ok = count > 0
for i in range(count):
    try:
        good = d.verify(idx=i, dnsfunc=dnsfunc)
    except Exception as e:  # a verifier error is a failure, reported
        print('signature %d error: %r' % (i, e))
        good = False
    algorithm = d.signature_fields.get(b'a', b'?').decode() if d.signature_fields else '?'
    print('signature %d %s %s' % (i, algorithm, 'pass' if good else 'fail'))
    ok = ok and good
sys.exit(0 if ok else 1)
