// Command k8s-harness runs a real Kubernetes API server for WinHA's tests:
// k8s.io/apiextensions-apiserver (the code that serves CustomResourceDefinitions
// inside kube-apiserver) over an etcd embedded in the same process, on
// loopback, with a self-signed certificate and the server's own loopback
// bearer token (the system:masters user) as the only credential.
//
// It installs every CustomResourceDefinition found in --crds (so a real API
// server proves them valid: structural schemas, defaults, printer columns)
// plus a Lease-shaped CRD in coordination.k8s.io/v1, because the apiextensions
// server does not serve the built-in Lease type.
//
// With --permissive, the CRDs keep their names, scope, status subresource and
// printer columns but their schemas become "any object" — for the store
// contract suite, whose objects are deliberately schema-free.
//
// It writes a kubeconfig to --kubeconfig, prints one JSON line on stdout once
// everything is ready, and exits when its standard input closes (the test
// process ended, however it ended) or on SIGINT/SIGTERM.
//
// Watch history: the API server's watch cache is off, so a watch reads etcd
// directly, and etcd is compacted continuously to keep only the newest
// --retention revisions (settable at run time: POST /retention?revisions=N on
// the control address). An older resourceVersion is answered with 410 Gone,
// as a real cluster does after compaction.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/pflag"
	"go.etcd.io/etcd/server/v3/embed"
	"go.etcd.io/etcd/server/v3/etcdserver/api/v3client"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	extensionsapiserver "k8s.io/apiextensions-apiserver/pkg/apiserver"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	"k8s.io/apiextensions-apiserver/pkg/cmd/server/options"
	generatedopenapi "k8s.io/apiextensions-apiserver/pkg/generated/openapi"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	openapinamer "k8s.io/apiserver/pkg/endpoints/openapi"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/apiserver/pkg/util/openapi"
	restclient "k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/klog/v2"
	"sigs.k8s.io/yaml"
)

type ready struct {
	Server     string   `json:"server"`
	Kubeconfig string   `json:"kubeconfig"`
	Control    string   `json:"control"`
	CRDs       []string `json:"crds"`
	StartupMs  int64    `json:"startupMs"`
}

func main() {
	started := time.Now()
	dir := flag.String("dir", "", "working directory (etcd data, certificates); required")
	crdDir := flag.String("crds", "", "directory of CustomResourceDefinition YAML files to install")
	permissive := flag.Bool("permissive", false, "replace every installed CRD's schema with 'any object'")
	kubeconfigPath := flag.String("kubeconfig", "", "where to write the kubeconfig (default DIR/kubeconfig)")
	retention := flag.Int64("retention", 10000, "etcd revisions kept for watch resume")
	verbose := flag.Bool("v", false, "show the API server's log")
	flag.Parse()
	if *dir == "" {
		fail("--dir is required")
	}
	if *kubeconfigPath == "" {
		*kubeconfigPath = filepath.Join(*dir, "kubeconfig")
	}
	if !*verbose {
		klogFlags := flag.NewFlagSet("klog", flag.ContinueOnError)
		klog.InitFlags(klogFlags)
		_ = klogFlags.Set("logtostderr", "false")
		_ = klogFlags.Set("alsologtostderr", "false")
		_ = klogFlags.Set("stderrthreshold", "FATAL")
		klog.SetOutput(io.Discard)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { // the parent is gone when our stdin closes
		_, _ = io.Copy(io.Discard, os.Stdin)
		cancel()
	}()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	go func() { <-sig; cancel() }()

	etcd, etcdURL := startEtcd(*dir)
	defer etcd.Close()
	var keep atomic.Int64
	keep.Store(*retention)
	go compactLoop(ctx, etcd, &keep)
	control := startControl(&keep)

	loopback, stopped := startAPIServer(ctx, *dir, etcdURL)
	if err := writeKubeconfig(*kubeconfigPath, loopback); err != nil {
		fail("kubeconfig: %v", err)
	}
	names, err := installCRDs(ctx, loopback, *crdDir, *permissive)
	if err != nil {
		fail("installing CRDs: %v", err)
	}
	out, _ := json.Marshal(ready{Server: loopback.Host, Kubeconfig: *kubeconfigPath, Control: control, CRDs: names, StartupMs: time.Since(started).Milliseconds()})
	fmt.Println(string(out))

	select {
	case <-ctx.Done():
	case err := <-stopped:
		if err != nil {
			fail("API server stopped: %v", err)
		}
	}
	cancel()
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "k8s-harness: "+format+"\n", args...)
	os.Exit(1)
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail("no free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func startEtcd(dir string) (*embed.Etcd, string) {
	cfg := embed.NewConfig()
	cfg.Dir = filepath.Join(dir, "etcd")
	cfg.LogLevel = "error"
	cfg.Logger = "zap"
	client, _ := url.Parse(fmt.Sprintf("http://127.0.0.1:%d", freePort()))
	peer, _ := url.Parse(fmt.Sprintf("http://127.0.0.1:%d", freePort()))
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*client}, []url.URL{*client}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*peer}, []url.URL{*peer}
	cfg.InitialCluster = cfg.Name + "=" + peer.String()
	cfg.UnsafeNoFsync = true // test data only
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		fail("etcd: %v", err)
	}
	select {
	case <-e.Server.ReadyNotify():
	case <-time.After(60 * time.Second):
		fail("etcd did not become ready")
	}
	return e, client.String()
}

// compactLoop keeps only the newest `keep` revisions, as an etcd with
// --auto-compaction-mode=revision would, but promptly.
func compactLoop(ctx context.Context, e *embed.Etcd, keep *atomic.Int64) {
	cli := v3client.New(e.Server)
	var compacted int64
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		rev := e.Server.KV().Rev()
		target := rev - keep.Load()
		if target > compacted {
			if _, err := cli.Compact(ctx, target); err == nil {
				compacted = target
			}
		}
	}
}

func startControl(keep *atomic.Int64) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail("control listener: %v", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/retention", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		n, err := strconv.ParseInt(r.URL.Query().Get("revisions"), 10, 64)
		if err != nil || n < 1 {
			http.Error(w, "revisions must be a positive integer", http.StatusBadRequest)
			return
		}
		keep.Store(n)
		w.WriteHeader(http.StatusNoContent)
	})
	go func() { _ = http.Serve(l, mux) }()
	return "http://" + l.Addr().String()
}

func startAPIServer(ctx context.Context, dir, etcdURL string) (*restclient.Config, <-chan error) {
	// The delegated authn/authz and the core informers need a kubeconfig;
	// nothing answers there. Requests are authorized through the loopback
	// token's privileged group, as in apiextensions' own integration tests.
	fake := filepath.Join(dir, "unused-core-kubeconfig")
	if err := os.WriteFile(fake, []byte(`apiVersion: v1
kind: Config
clusters: [{name: none, cluster: {server: "http://127.0.0.1:9"}}]
users: [{name: none, user: {}}]
contexts: [{name: none, context: {cluster: none, user: none}}]
current-context: none
`), 0o600); err != nil {
		fail("%v", err)
	}
	s := options.NewCustomResourceDefinitionsServerOptions(io.Discard, os.Stderr)
	fs := pflag.NewFlagSet("apiextensions-apiserver", pflag.ContinueOnError)
	s.AddFlags(fs)
	args := []string{
		"--etcd-servers", etcdURL,
		"--etcd-compaction-interval", "0", // the harness compacts (compactLoop); the API server's compactor would write to etcd
		"--watch-cache=false", // watches read etcd, so compaction shows as 410 Gone
		"--bind-address", "127.0.0.1",
		"--secure-port", strconv.Itoa(freePort()),
		"--cert-dir", filepath.Join(dir, "certs"),
		"--authentication-skip-lookup",
		"--authentication-kubeconfig", fake,
		"--authorization-kubeconfig", fake,
		"--kubeconfig", fake,
		"--enable-priority-and-fairness=false",
		"--disable-admission-plugins", "NamespaceLifecycle,MutatingAdmissionWebhook,ValidatingAdmissionWebhook,ValidatingAdmissionPolicy,MutatingAdmissionPolicy",
	}
	if err := fs.Parse(args); err != nil {
		fail("flags: %v", err)
	}
	if err := s.ServerRunOptions.ComponentGlobalsRegistry.Set(); err != nil {
		fail("feature gates: %v", err)
	}
	if err := s.Complete(); err != nil {
		fail("options: %v", err)
	}
	if err := s.Validate(); err != nil {
		fail("options: %v", err)
	}
	config, err := s.Config()
	if err != nil {
		fail("config: %v", err)
	}
	// The standalone apiextensions server leaves the discovery roots /api and
	// /apis to kube-apiserver's aggregator; kubectl needs them. Serve them
	// behind the normal filters (authentication, authorization).
	var loopbackForDiscovery atomic.Pointer[restclient.Config]
	config.GenericConfig.BuildHandlerChainFunc = func(apiHandler http.Handler, c *genericapiserver.Config) http.Handler {
		return genericapiserver.DefaultBuildHandlerChain(discoveryRoots(apiHandler, &loopbackForDiscovery), c)
	}
	config.GenericConfig.OpenAPIConfig = genericapiserver.DefaultOpenAPIConfig(
		openapi.GetOpenAPIDefinitionsWithoutDisabledFeatures(generatedopenapi.GetOpenAPIDefinitions),
		openapinamer.NewDefinitionNamer(extensionsapiserver.Scheme))
	server, err := config.Complete().New(genericapiserver.NewEmptyDelegate())
	if err != nil {
		fail("server: %v", err)
	}
	stopped := make(chan error, 1)
	go func() { stopped <- server.GenericAPIServer.PrepareRun().RunWithContext(ctx) }()

	loopback := restclient.CopyConfig(server.GenericAPIServer.LoopbackClientConfig)
	loopbackForDiscovery.Store(loopback)
	hc, err := restclient.HTTPClientFor(loopback)
	if err != nil {
		fail("client: %v", err)
	}
	err = wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		select {
		case err := <-stopped:
			return false, fmt.Errorf("stopped: %v", err)
		default:
		}
		resp, err := hc.Get(loopback.Host + "/healthz")
		if err != nil {
			return false, nil
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})
	if err != nil {
		fail("API server not ready: %v", err)
	}
	return loopback, stopped
}

func writeKubeconfig(path string, c *restclient.Config) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["harness"] = &clientcmdapi.Cluster{Server: c.Host, CertificateAuthorityData: c.TLSClientConfig.CAData, TLSServerName: c.TLSClientConfig.ServerName}
	cfg.AuthInfos["harness"] = &clientcmdapi.AuthInfo{Token: c.BearerToken}
	cfg.Contexts["harness"] = &clientcmdapi.Context{Cluster: "harness", AuthInfo: "harness", Namespace: "default"}
	cfg.CurrentContext = "harness"
	return clientcmd.WriteToFile(*cfg, path)
}

// leaseCRD is coordination.k8s.io/v1 Lease as a CRD, field for field
// (k8s.io/api/coordination/v1 LeaseSpec), for the apiextensions server that
// has no built-in Lease.
func leaseCRD() *apiextensionsv1.CustomResourceDefinition {
	str := apiextensionsv1.JSONSchemaProps{Type: "string"}
	i32 := apiextensionsv1.JSONSchemaProps{Type: "integer", Format: "int32"}
	micro := apiextensionsv1.JSONSchemaProps{Type: "string", Format: "date-time"}
	return &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{
			Name:        "leases.coordination.k8s.io",
			Annotations: map[string]string{"api-approved.kubernetes.io": "unapproved, WinHA test harness stand-in for the built-in Lease"},
		},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: "coordination.k8s.io",
			Names: apiextensionsv1.CustomResourceDefinitionNames{Kind: "Lease", ListKind: "LeaseList", Plural: "leases", Singular: "lease"},
			Scope: apiextensionsv1.NamespaceScoped,
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
				Name: "v1", Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
					Type: "object",
					Properties: map[string]apiextensionsv1.JSONSchemaProps{
						"spec": {Type: "object", Properties: map[string]apiextensionsv1.JSONSchemaProps{
							"holderIdentity": str, "leaseDurationSeconds": i32, "acquireTime": micro, "renewTime": micro,
							"leaseTransitions": i32, "strategy": str, "preferredHolder": str,
						}},
					},
				}},
				AdditionalPrinterColumns: []apiextensionsv1.CustomResourceColumnDefinition{
					{Name: "Holder", Type: "string", JSONPath: ".spec.holderIdentity"},
					{Name: "Age", Type: "date", JSONPath: ".metadata.creationTimestamp"},
				},
			}},
		},
	}
}

func loadCRDs(dir string, permissive bool) ([]*apiextensionsv1.CustomResourceDefinition, error) {
	var out []*apiextensionsv1.CustomResourceDefinition
	if dir == "" {
		return out, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	for _, ent := range entries {
		if ent.IsDir() || ent.Name() == "kustomization.yaml" || !(strings.HasSuffix(ent.Name(), ".yaml") || strings.HasSuffix(ent.Name(), ".yml")) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, ent.Name()))
		if err != nil {
			return nil, err
		}
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := yaml.UnmarshalStrict(data, crd); err != nil {
			return nil, fmt.Errorf("%s: %v", ent.Name(), err)
		}
		if permissive {
			yes := true
			for i := range crd.Spec.Versions {
				crd.Spec.Versions[i].Schema = &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
					Type: "object", XPreserveUnknownFields: &yes,
				}}
			}
		}
		out = append(out, crd)
	}
	return out, nil
}

func installCRDs(ctx context.Context, c *restclient.Config, dir string, permissive bool) ([]string, error) {
	crds, err := loadCRDs(dir, permissive)
	if err != nil {
		return nil, err
	}
	crds = append(crds, leaseCRD())
	client, err := apiextensionsclient.NewForConfig(c)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, crd := range crds {
		if _, err := client.ApiextensionsV1().CustomResourceDefinitions().Create(ctx, crd, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return nil, fmt.Errorf("%s: %v", crd.Name, err)
		}
		names = append(names, crd.Name)
	}
	for _, name := range names {
		err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
			got, err := client.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, nil
			}
			for _, cond := range got.Status.Conditions {
				if cond.Type == apiextensionsv1.NonStructuralSchema && cond.Status == apiextensionsv1.ConditionTrue {
					return false, fmt.Errorf("%s: non-structural schema: %s", name, cond.Message)
				}
			}
			for _, cond := range got.Status.Conditions {
				if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
					return true, nil
				}
			}
			return false, nil
		})
		if err != nil {
			return nil, fmt.Errorf("%s not established: %v", name, err)
		}
	}
	// Discovery of new CRDs lags their Established condition slightly; wait until each resource answers.
	hc, err := restclient.HTTPClientFor(c)
	if err != nil {
		return nil, err
	}
	for _, crd := range crds {
		v := crd.Spec.Versions[0].Name
		path := fmt.Sprintf("%s/apis/%s/%s/%s", c.Host, crd.Spec.Group, v, crd.Spec.Names.Plural)
		err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
			resp, err := hc.Get(path)
			if err != nil {
				return false, nil
			}
			resp.Body.Close()
			return resp.StatusCode == http.StatusOK, nil
		})
		if err != nil {
			return nil, fmt.Errorf("%s not served: %v", crd.Name, err)
		}
	}
	return names, nil
}


// discoveryRoots answers GET /api (no legacy core group here) and GET /apis
// (apiextensions.k8s.io plus every served CRD group, from the CRDs), and
// passes everything else on.
func discoveryRoots(next http.Handler, loopback *atomic.Pointer[restclient.Config]) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || (r.URL.Path != "/api" && r.URL.Path != "/apis" && r.URL.Path != "/api/" && r.URL.Path != "/apis/") {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if strings.HasPrefix(r.URL.Path, "/api") && !strings.HasPrefix(r.URL.Path, "/apis") {
			_ = json.NewEncoder(w).Encode(metav1.APIVersions{TypeMeta: metav1.TypeMeta{Kind: "APIVersions"}, Versions: []string{}})
			return
		}
		groups := map[string][]string{"apiextensions.k8s.io": {"v1"}}
		order := []string{"apiextensions.k8s.io"}
		if c := loopback.Load(); c != nil {
			client, err := apiextensionsclient.NewForConfig(c)
			if err == nil {
				list, err := client.ApiextensionsV1().CustomResourceDefinitions().List(r.Context(), metav1.ListOptions{})
				if err == nil {
					for _, crd := range list.Items {
						g := crd.Spec.Group
						if _, ok := groups[g]; !ok {
							order = append(order, g)
						}
						for _, v := range crd.Spec.Versions {
							if v.Served && !contains(groups[g], v.Name) {
								groups[g] = append(groups[g], v.Name)
							}
						}
					}
				}
			}
		}
		out := metav1.APIGroupList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupList", APIVersion: "v1"}}
		for _, g := range order {
			group := metav1.APIGroup{Name: g}
			for _, v := range groups[g] {
				group.Versions = append(group.Versions, metav1.GroupVersionForDiscovery{GroupVersion: g + "/" + v, Version: v})
			}
			if len(group.Versions) > 0 {
				group.PreferredVersion = group.Versions[0]
				out.Groups = append(out.Groups, group)
			}
		}
		_ = json.NewEncoder(w).Encode(out)
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
