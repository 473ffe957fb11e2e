package e2e_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	gmtext "github.com/yuin/goldmark/text"
)

// installGuide is the guide the browser test renders, relative to the
// repository root.
const installGuide = "docs/install.md"

// repoRoot is the repository's top directory, found from this file.
func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the test file")
	}
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// markdown parses and renders as GitHub does for these docs: tables and
// heading anchors.
var markdown = goldmark.New(
	goldmark.WithExtensions(extension.GFM),
	goldmark.WithParserOptions(parser.WithAutoHeadingID()),
)

// docRefs are the link and image destinations of a Markdown document, and
// the anchors its headings get.
type docRefs struct {
	links, images []string
	anchors       map[string]bool
}

func readRefs(t *testing.T, file string) docRefs {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	doc := markdown.Parser().Parse(gmtext.NewReader(src))
	refs := docRefs{anchors: map[string]bool{}}
	err = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Link:
			refs.links = append(refs.links, string(n.Destination))
		case *ast.Image:
			refs.images = append(refs.images, string(n.Destination))
		case *ast.Heading:
			if id, ok := n.AttributeString("id"); ok {
				refs.anchors[string(id.([]byte))] = true
			}
		}
		return ast.WalkContinue, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return refs
}

// TestInstallGuideLinks checks, without a browser, that every relative link
// and image in the install guide points at a file of the repository, and
// every #anchor at a heading of the file it names.
func TestInstallGuideLinks(t *testing.T) {
	root := repoRoot(t)
	guide := filepath.Join(root, installGuide)
	refs := readRefs(t, guide)
	if len(refs.images) < 4 {
		t.Errorf("the guide shows %d images, want the 4 diagrams", len(refs.images))
	}
	for _, img := range refs.images {
		if !strings.HasSuffix(img, ".svg") {
			t.Errorf("image %q: the guide's diagrams are SVG files", img)
		}
	}
	local := 0
	for _, dest := range append(refs.links, refs.images...) {
		u, err := url.Parse(dest)
		if err != nil {
			t.Errorf("link %q: %v", dest, err)
			continue
		}
		if u.Scheme != "" || u.Host != "" {
			continue // the appliance's own address and the like
		}
		local++
		target := guide
		if u.Path != "" {
			target = filepath.Join(filepath.Dir(guide), filepath.FromSlash(u.Path))
			rel, err := filepath.Rel(root, target)
			if err != nil || strings.HasPrefix(rel, "..") {
				t.Errorf("link %q leaves the repository", dest)
				continue
			}
			if _, err := os.Stat(target); err != nil {
				t.Errorf("link %q: %v", dest, err)
				continue
			}
		}
		if u.Fragment != "" && strings.HasSuffix(target, ".md") {
			if !readRefs(t, target).anchors[u.Fragment] {
				t.Errorf("link %q: %s has no heading with the anchor #%s", dest, filepath.Base(target), u.Fragment)
			}
		}
	}
	if local == 0 {
		t.Error("no local links found: is the parser seeing the document?")
	}
}

// TestDocsSVGs checks every SVG in docs/: well-formed XML with an <svg> root
// in the SVG namespace, a viewBox, a non-empty <title> and <desc> for screen
// readers, and nothing fetched from elsewhere.
func TestDocsSVGs(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(repoRoot(t), "docs", "*.svg"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no SVG files in docs/")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := checkSVG(src); err != nil {
				t.Error(err)
			}
		})
	}
}

func checkSVG(src []byte) error {
	const svgNS = "http://www.w3.org/2000/svg"
	d := xml.NewDecoder(bytes.NewReader(src))
	depth := 0
	var root *xml.StartElement
	texts := map[string]string{} // the root's <title> and <desc>
	var in string                // which of them is open
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("not well-formed XML: %w", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			depth++
			if depth == 1 {
				e := tok.Copy()
				root = &e
			}
			if depth == 2 && (tok.Name.Local == "title" || tok.Name.Local == "desc") {
				in = tok.Name.Local
			}
			if tok.Name.Local == "image" || tok.Name.Local == "foreignObject" {
				return fmt.Errorf("<%s> element: the diagrams are drawn, not embedded", tok.Name.Local)
			}
			for _, a := range tok.Attr {
				if a.Name.Local == "xmlns" || a.Name.Space == "xmlns" {
					continue
				}
				if strings.Contains(a.Value, "://") {
					return fmt.Errorf("<%s %s=%q> refers to another resource", tok.Name.Local, a.Name.Local, a.Value)
				}
			}
		case xml.EndElement:
			depth--
			if depth == 1 {
				in = ""
			}
		case xml.CharData:
			if in != "" {
				texts[in] += string(tok)
			}
			if strings.Contains(string(tok), "@import") || strings.Contains(string(tok), "url(") {
				return errors.New("a style refers to another resource (@import or url())")
			}
		}
	}
	if root == nil || root.Name.Local != "svg" || root.Name.Space != svgNS {
		return errors.New("the root element is not <svg> in the SVG namespace")
	}
	viewBox := ""
	for _, a := range root.Attr {
		if a.Name.Local == "viewBox" {
			viewBox = a.Value
		}
	}
	if len(strings.Fields(viewBox)) != 4 {
		return fmt.Errorf("viewBox %q: want four numbers", viewBox)
	}
	for _, k := range []string{"title", "desc"} {
		if strings.TrimSpace(texts[k]) == "" {
			return fmt.Errorf("no <%s> directly inside <svg>", k)
		}
	}
	return nil
}

// docPage wraps a rendered Markdown document in a plain page, styled only
// enough to read it (images fit the width, as on GitHub).
var docPage = template.Must(template.New("doc").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font-family: system-ui, sans-serif; line-height: 1.5; margin: 0 auto; padding: 1rem; max-width: 52rem; color: #1f2937; }
img { max-width: 100%; height: auto; }
table { border-collapse: collapse; display: block; overflow-x: auto; }
th, td { border: 1px solid #d1d5db; padding: .3rem .6rem; vertical-align: top; }
pre { background: #f3f4f6; padding: .8rem; overflow-x: auto; }
blockquote { border-left: 4px solid #c2410c; margin: 0; padding: 0 1rem; }
</style>
</head>
<body><main>{{.Body}}</main></body>
</html>
`))

// serveDocs serves the repository's files, with the install guide rendered
// to HTML at /docs/install.html, so that its relative links and images
// resolve as they do next to the .md file.
func serveDocs(t *testing.T) (base string) {
	t.Helper()
	root := repoRoot(t)
	src, err := os.ReadFile(filepath.Join(root, installGuide))
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	if err := markdown.Convert(src, &body); err != nil {
		t.Fatal(err)
	}
	var page bytes.Buffer
	err = docPage.Execute(&page, struct {
		Title string
		Body  template.HTML
	}{"Installing twcmanager", template.HTML(body.String())}) // our own Markdown, rendered without raw HTML
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /docs/install.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(page.Bytes())
	})
	mux.Handle("GET /", http.FileServer(http.Dir(root)))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

type docImage struct {
	Src     string  `json:"src"`
	Natural float64 `json:"natural"`
	Shown   float64 `json:"shown"`
}

type docLink struct {
	Href string `json:"href"` // as resolved by the browser
	Raw  string `json:"raw"`  // as written
}

// TestInstallGuideInBrowser renders docs/install.md, opens it in headless
// Chromium, checks that every diagram loads and every local link leads
// somewhere, and saves screenshots of the page and of each diagram.
func TestInstallGuideInBrowser(t *testing.T) {
	base := serveDocs(t)
	ctx := browser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/docs/install.html"), chromedp.WaitVisible(chromedp.CSS("main h1"))); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`[...document.images].every(i => i.complete)`, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("images did not finish loading: %v", err)
	}
	if got := text(t, ctx, "main h1"); got != "Installing twcmanager" {
		t.Errorf("heading %q", got)
	}

	images, err := chromedp.Run(ctx, chromedp.Evaluate[[]docImage](
		`[...document.images].map(i => ({src: i.getAttribute("src"), natural: i.naturalWidth, shown: i.getBoundingClientRect().width}))`))
	if err != nil {
		t.Fatal(err)
	}
	if len(images) < 4 {
		t.Fatalf("%d images on the page, want the 4 diagrams", len(images))
	}
	for _, img := range images {
		if img.Natural <= 0 || img.Shown <= 0 {
			t.Errorf("image %s did not load (natural width %v, shown %v px wide)", img.Src, img.Natural, img.Shown)
		}
	}

	links, err := chromedp.Run(ctx, chromedp.Evaluate[[]docLink](
		`[...document.querySelectorAll("a[href]")].map(a => ({href: a.href, raw: a.getAttribute("href")}))`))
	if err != nil {
		t.Fatal(err)
	}
	checkLinks(t, ctx, base, links)

	screenshots(t, ctx, "install-guide")
	dir := outputDir(t)
	for _, img := range images {
		name := strings.TrimSuffix(path.Base(img.Src), ".svg")
		png, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS(fmt.Sprintf(`img[src=%q]`, img.Src))))
		if err != nil {
			t.Fatalf("screenshot of %s: %v", img.Src, err)
		}
		if err := os.WriteFile(filepath.Join(dir, "install-svg-"+name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// checkLinks follows each link of the page: an anchor must name an element
// of the page, a local address must answer 200 (with the anchor present if
// it is this page), and nothing may point at another host except the
// appliance's own address, which the guide tells the reader to open.
func checkLinks(t *testing.T, ctx context.Context, base string, links []docLink) {
	t.Helper()
	local := 0
	for _, l := range links {
		u, err := url.Parse(l.Href)
		if err != nil {
			t.Errorf("link %q: %v", l.Raw, err)
			continue
		}
		if !strings.HasPrefix(l.Href, base+"/") {
			if u.Host != "twcmanager.local" {
				t.Errorf("link %q leaves the documentation", l.Raw)
			}
			continue
		}
		local++
		if u.Path == "/docs/install.html" && u.Fragment != "" {
			continue // checked in the page below
		}
		res, err := http.Get(base + u.Path)
		if err != nil {
			t.Errorf("link %q: %v", l.Raw, err)
			continue
		}
		_ = res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("link %q: %s", l.Raw, res.Status)
		}
	}
	if local == 0 {
		t.Error("no local links on the page")
	}
	missing, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('a[href^="#"]')].map(a => a.getAttribute("href")).filter(h => !document.getElementById(decodeURIComponent(h.slice(1))))`))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range missing {
		t.Errorf("link %q: no element with that id on the page", h)
	}
}
