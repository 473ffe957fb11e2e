package teslatest

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/big"
	"time"

	"github.com/teslamotors/vehicle-command/pkg/protocol/protobuf/signatures"
)

// The car's side of the Vehicle Command Protocol, written from
// vehicle-command's pkg/protocol/protocol.md.

// domain is one car domain: its key pair, its epoch and clock, and what it
// remembers of each client key.
type domain struct {
	key   *ecdh.PrivateKey
	epoch []byte
	// zero is the real time the domain's clock read 0; like a car's, it
	// started at the last boot.
	zero  time.Time
	peers map[string]*peer
}

// peer is a domain's state for one client key.
type peer struct {
	// counter is the highest anti-replay counter accepted; window marks
	// which of the 64 below it were used, so late messages still pass
	// once.
	counter uint32
	window  uint64
	// replies counts encrypted replies, their anti-replay counter.
	replies uint32
}

func newDomain() (*domain, error) {
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("teslatest: domain key: %w", err)
	}
	d := &domain{key: k}
	d.reboot()
	return d, nil
}

// reboot starts a new epoch, as a car's computer does when it boots: a
// random epoch ID, a clock that started a while ago, counters from zero.
func (d *domain) reboot() {
	d.epoch = make([]byte, 16)
	// Neither can fail: crypto/rand.Read never does, and the bound is
	// positive.
	_, _ = rand.Read(d.epoch)
	up, _ := rand.Int(rand.Reader, big.NewInt(100000))
	d.zero = time.Now().Add(-time.Duration(1000+up.Int64()) * time.Second)
	d.peers = make(map[string]*peer)
}

// clock is the domain's time: seconds since its epoch began.
func (d *domain) clock() uint32 { return uint32(time.Since(d.zero) / time.Second) }

// sessionKey is K, the AES-128 key the car and a client share:
// SHA1 of the ECDH shared x-coordinate, first 16 bytes.
func sessionKey(own *ecdh.PrivateKey, client []byte) ([]byte, error) {
	pub, err := ecdh.P256().NewPublicKey(client)
	if err != nil {
		return nil, err
	}
	shared, err := own.ECDH(pub)
	if err != nil {
		return nil, err
	}
	sum := sha1.Sum(shared)
	return sum[:16], nil
}

// subkey derives HMAC-SHA256(K, label).
func subkey(k []byte, label string) []byte {
	m := hmac.New(sha256.New, k)
	m.Write([]byte(label))
	return m.Sum(nil)
}

// metadata serialises tagged values as tag, length, value, in ascending
// tag order, closed by TAG_END. Absent (nil) values are left out.
type metadata struct{ b []byte }

func (m *metadata) add(tag signatures.Tag, v []byte) {
	if v == nil {
		return
	}
	m.b = append(m.b, byte(tag), byte(len(v)))
	m.b = append(m.b, v...)
}

func (m *metadata) addUint32(tag signatures.Tag, v uint32) {
	m.add(tag, binary.BigEndian.AppendUint32(nil, v))
}

func (m *metadata) end() []byte { return append(m.b, byte(signatures.Tag_TAG_END)) }

// hmacOver is HMAC-SHA256 under key of the closed metadata and message.
func hmacOver(key []byte, m *metadata, msg []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(m.end())
	h.Write(msg)
	return h.Sum(nil)
}

// aadOf is the AES-GCM associated data: SHA256 of the closed metadata.
func aadOf(m *metadata) []byte {
	sum := sha256.Sum256(m.end())
	return sum[:]
}

func newGCM(k []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// accept records counter n, reporting false if it was used before or is
// too old to tell.
func (p *peer) accept(n uint32) bool {
	switch {
	case n > p.counter:
		// Go shifts of 64 or more give 0, which is right here: the old
		// history falls out of the window.
		shift := n - p.counter
		p.window = p.window<<shift | 1<<(shift-1)
		p.counter = n
		return true
	case n == p.counter:
		return false
	}
	age := p.counter - n
	if age > 64 || p.window&(1<<(age-1)) != 0 {
		return false
	}
	p.window |= 1 << (age - 1)
	return true
}
