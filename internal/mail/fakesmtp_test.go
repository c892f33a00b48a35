package mail_test

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeSMTP is an SMTP server on 127.0.0.1 speaking just enough of the
// protocol for the client: EHLO, STARTTLS, AUTH PLAIN and LOGIN, MAIL, RCPT,
// DATA, RSET, NOOP, QUIT.
type fakeSMTP struct {
	addr     string
	tls      *tls.Config // offered by STARTTLS, or from the first byte when implicit
	startTLS bool
	implicit bool
	user     string // non-empty: AUTH is offered and this user and pass are required
	pass     string
	rejectTo string // RCPT TO this address is answered 550

	mu    sync.Mutex
	conns int
	mails []fakeMail
	cmds  []string // every command verb received, in order
}

// fakeMail is one accepted DATA.
type fakeMail struct {
	from, to string
	data     string
	tls      bool   // the DATA came over TLS
	auth     string // "user:pass" that authenticated, or ""
}

// testTLS returns a server config with a fresh self-signed certificate for
// 127.0.0.1 and a client config that trusts it.
func testTLS(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		NotBefore:    time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}},
		&tls.Config{RootCAs: pool}
}

// start listens and serves until the test ends.
func (s *fakeSMTP) start(t *testing.T) *fakeSMTP {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	s.addr = l.Addr().String()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *fakeSMTP) port() string {
	_, p, _ := net.SplitHostPort(s.addr)
	return p
}

func (s *fakeSMTP) snapshot() (conns int, mails []fakeMail, cmds []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns, append([]fakeMail(nil), s.mails...), append([]string(nil), s.cmds...)
}

// session is one connection's state.
type session struct {
	conn net.Conn
	r    *bufio.Reader
	tls  bool
	auth string
	from string
	to   string
}

func (ss *session) reply(lines ...string) {
	ss.conn.Write([]byte(strings.Join(lines, "\r\n") + "\r\n"))
}

func (ss *session) line() (string, bool) {
	l, err := ss.r.ReadString('\n')
	return strings.TrimRight(l, "\r\n"), err == nil
}

func (s *fakeSMTP) serve(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	ss := &session{conn: c}
	if s.implicit {
		ss.conn, ss.tls = tls.Server(c, s.tls), true
	}
	ss.r = bufio.NewReader(ss.conn)
	s.mu.Lock()
	s.conns++
	s.mu.Unlock()
	ss.reply("220 fake ESMTP")
	for {
		l, ok := ss.line()
		if !ok {
			return
		}
		verb, arg, _ := strings.Cut(l, " ")
		verb = strings.ToUpper(verb)
		s.mu.Lock()
		s.cmds = append(s.cmds, verb)
		s.mu.Unlock()
		if !s.handle(ss, verb, arg) {
			return
		}
	}
}

// handle answers one command; false ends the session.
func (s *fakeSMTP) handle(ss *session, verb, arg string) bool {
	switch verb {
	case "EHLO", "HELO":
		ext := []string{"250-fake", "250-8BITMIME"}
		if s.startTLS && !ss.tls {
			ext = append(ext, "250-STARTTLS")
		}
		if s.user != "" {
			ext = append(ext, "250-AUTH PLAIN LOGIN")
		}
		ss.reply(append(ext, "250 SMTPUTF8")...)
	case "STARTTLS":
		if !s.startTLS || ss.tls {
			ss.reply("502 not offered")
			return true
		}
		ss.reply("220 go ahead")
		ss.conn, ss.tls = tls.Server(ss.conn, s.tls), true
		ss.r = bufio.NewReader(ss.conn)
	case "AUTH":
		s.authenticate(ss, arg)
	case "MAIL":
		if s.user != "" && ss.auth == "" {
			ss.reply("530 authentication required")
			return true
		}
		ss.from = arg
		ss.reply("250 ok")
	case "RCPT":
		if s.rejectTo != "" && strings.Contains(arg, s.rejectTo) {
			ss.reply("550 5.1.1 <" + s.rejectTo + ">: no such user")
			return true
		}
		ss.to = arg
		ss.reply("250 ok")
	case "DATA":
		s.data(ss)
	case "RSET", "NOOP":
		ss.reply("250 ok")
	case "QUIT":
		ss.reply("221 bye")
		return false
	default:
		ss.reply("500 unknown command")
	}
	return true
}

func (s *fakeSMTP) authenticate(ss *session, arg string) {
	mech, resp, _ := strings.Cut(arg, " ")
	var user, pass string
	switch strings.ToUpper(mech) {
	case "PLAIN":
		if resp == "" {
			ss.reply("334 ")
			resp, _ = ss.line()
		}
		b, _ := base64.StdEncoding.DecodeString(resp)
		if parts := strings.Split(string(b), "\x00"); len(parts) == 3 {
			user, pass = parts[1], parts[2]
		}
	case "LOGIN":
		ss.reply("334 " + base64.StdEncoding.EncodeToString([]byte("Username:")))
		u, _ := ss.line()
		ss.reply("334 " + base64.StdEncoding.EncodeToString([]byte("Password:")))
		p, _ := ss.line()
		ub, _ := base64.StdEncoding.DecodeString(u)
		pb, _ := base64.StdEncoding.DecodeString(p)
		user, pass = string(ub), string(pb)
	}
	if s.user == "" || user != s.user || pass != s.pass {
		ss.reply("535 authentication failed")
		return
	}
	ss.auth = user + ":" + pass
	ss.reply("235 ok")
}

func (s *fakeSMTP) data(ss *session) {
	ss.reply("354 go on")
	var b strings.Builder
	for {
		l, ok := ss.line()
		if !ok {
			return
		}
		if l == "." {
			break
		}
		b.WriteString(strings.TrimPrefix(l, ".") + "\r\n")
	}
	s.mu.Lock()
	s.mails = append(s.mails, fakeMail{from: ss.from, to: ss.to, data: b.String(), tls: ss.tls, auth: ss.auth})
	s.mu.Unlock()
	ss.reply("250 queued")
}
