module kubectl-suite.test/kubelet/setuid

go 1.24
