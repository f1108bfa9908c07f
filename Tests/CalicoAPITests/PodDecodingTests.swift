import CalicoAPI
import Testing

@Suite struct PodDecodingTests {
    /// A Pod as `kubectl get pod -o yaml` prints it: fields Tabby does not read are accepted and dropped.
    static let kubectlPod = """
        apiVersion: v1
        kind: Pod
        metadata:
          name: web-1
          namespace: shop
          labels: {app: web}
          annotations:
            cni.projectcalico.org/ipv4pools: '["pool-a"]'
          uid: 0b6f1c9e-0000-4000-8000-000000000001
        spec:
          nodeName: node-1
          serviceAccountName: web
          restartPolicy: Always
          containers:
          - name: nginx
            image: nginx:1.27
            resources: {limits: {cpu: 100m}}
            ports:
            - {name: http, containerPort: 80, protocol: TCP}
            - {containerPort: 9090}
          initContainers:
          - name: init
            command: [sh, -c, "true"]
            ports: [{name: metrics, containerPort: 9100, protocol: UDP}]
        status:
          phase: Running
          podIP: 203.0.113.7
        """

    @Test func podWithKubernetesFieldsDecodes() throws {
        let decoded = ResourceCodec.decode(Self.kubectlPod, source: "pod.yaml")
        #expect(decoded.errors.isEmpty, "\(decoded.errors)")
        let pod = try #require(decoded.resources.first?.as(Pod.self))
        #expect(pod.metadata.namespace == "shop")
        #expect(pod.spec.nodeName == "node-1")
        #expect(pod.spec.serviceAccountName == "web")
        #expect(pod.spec.namedPorts.map(\.name) == ["metrics", "http"])
        #expect(pod.metadata.annotations?[PodSpec.Annotation.ipv4Pools] == "[\"pool-a\"]")
    }

    @Test func badPoolAnnotationIsNamed() {
        let text = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: p
              namespace: shop
              annotations: {cni.projectcalico.org/ipAddrs: "192.0.2.7"}
            """
        let errors = ResourceCodec.decode(text, source: "pod.yaml").errors.map(\.description)
        #expect(errors.count == 1)
        #expect(errors.first?.contains("cni.projectcalico.org/ipAddrs") == true)
    }

    @Test func podNeedsKubernetesAPIVersion() {
        let text = "apiVersion: projectcalico.org/v3\nkind: Pod\nmetadata: {name: p, namespace: shop}\n"
        let errors = ResourceCodec.decode(text, source: "pod.yaml").errors.map(\.description)
        #expect(errors.first?.contains("unsupported apiVersion") == true)
    }
}
