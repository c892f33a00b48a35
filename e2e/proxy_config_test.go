package e2e

import (
	"fmt"
	"strings"
)

// proxyPorts says where everything a protecting proxy talks to lives.
type proxyPorts struct {
	Listen string // host:port the proxy listens on (test scaffolding only)
	Host   string // the protected application's public host name
	Authz  string // host:port of Gatehouse's authorisation endpoints
	App    string // host:port of the protected application
	Portal string // the portal's public base URL, where people sign in
}

// proxyNginxLocations is the part of the nginx configuration that protects an
// application, exactly as docs/PROXY.md shows it.
func proxyNginxLocations(p proxyPorts) string {
	return strings.NewReplacer("AUTHZ", p.Authz, "APP", p.App, "PORTAL", p.Portal).Replace(`location / {
    auth_request /internal/gatehouse;
    auth_request_set $gatehouse_user $upstream_http_remote_user;
    auth_request_set $gatehouse_email $upstream_http_remote_email;
    auth_request_set $gatehouse_name $upstream_http_remote_name;
    auth_request_set $gatehouse_groups $upstream_http_remote_groups;
    error_page 401 =302 PORTAL/login?rd=$scheme://$http_host$request_uri;

    proxy_set_header Remote-User $gatehouse_user;
    proxy_set_header Remote-Email $gatehouse_email;
    proxy_set_header Remote-Name $gatehouse_name;
    proxy_set_header Remote-Groups $gatehouse_groups;
    proxy_set_header Host $host;
    proxy_set_header X-Forwarded-For $remote_addr;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_pass http://APP;
}

location = /internal/gatehouse {
    internal;
    proxy_pass http://AUTHZ/api/authz/auth-request;
    proxy_pass_request_body off;
    proxy_set_header Content-Length "";
    proxy_set_header X-Original-URL $scheme://$http_host$request_uri;
    proxy_set_header X-Original-Method $request_method;
    proxy_set_header X-Forwarded-For $remote_addr;
}
`)
}

// proxyNginxConfig is a whole nginx.conf for `nginx -p DIR`: every file it
// writes is relative to that prefix, so nothing outside the test's
// directory is touched.
func proxyNginxConfig(p proxyPorts, asRoot bool) string {
	user := ""
	if asRoot {
		user = "user root;\n"
	}
	return fmt.Sprintf(`%sworker_processes 1;
pid nginx.pid;
error_log error.log info;
events { worker_connections 64; }
http {
    access_log access.log;
    client_body_temp_path tmp/body;
    proxy_temp_path tmp/proxy;
    fastcgi_temp_path tmp/fastcgi;
    uwsgi_temp_path tmp/uwsgi;
    scgi_temp_path tmp/scgi;
    server {
        listen %s default_server;
        return 421;
    }
    server {
        listen %s;
        server_name %s;
%s    }
}
`, user, p.Listen, p.Listen, p.Host, proxyIndent(proxyNginxLocations(p), "        "))
}

// proxyCaddySite is the body of the Caddy site block that protects an
// application, exactly as docs/PROXY.md shows it. The route keeps the order
// as written: by default Caddy runs forward_auth before request_header,
// which would delete the identity it just copied.
func proxyCaddySite(p proxyPorts) string {
	return strings.NewReplacer("AUTHZ", p.Authz, "APP", p.App).Replace(`route {
	request_header -Remote-*
	request_header -Remote_*
	forward_auth AUTHZ {
		uri /api/authz/forward-auth
		copy_headers Remote-User Remote-Email Remote-Name Remote-Groups
	}
	reverse_proxy APP
}
`)
}

// proxyCaddyfile is a whole Caddyfile: no admin API, no automatic HTTPS.
func proxyCaddyfile(p proxyPorts) string {
	host, port, _ := strings.Cut(p.Listen, ":")
	return fmt.Sprintf(`{
	admin off
	auto_https off
}

http://%s:%s {
	bind %s
%s}
`, p.Host, port, host, proxyIndent(proxyCaddySite(p), "\t"))
}

// proxyIndent puts prefix before every non-empty line of s.
func proxyIndent(s, prefix string) string {
	lines := strings.SplitAfter(s, "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) != "" {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "")
}
