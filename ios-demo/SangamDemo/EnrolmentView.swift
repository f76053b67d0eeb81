// Enrolment: the hub URL and device token typed in, or one enrolment code
// (sangam://enrol?hub=…&token=…) pasted or scanned from the hub's QR code; plus who uses the
// phone and the district (scope) new records belong to.
import SangamKit
import SwiftUI
import UIKit
import VisionKit

struct EnrolmentView: View {
    @EnvironmentObject var model: SangamModel
    let initialCode: String?
    let onDone: (() -> Void)?

    @State private var form = EnrolmentSettings.blank
    @State private var code = ""
    @State private var message: String?
    @State private var scanning = false
    @State private var working = false
    @Environment(\.dismiss) private var dismiss

    var body: some View {
        Form {
            if message != nil {
                Section { MessageBanner(message: $message) }
            }
            Section(header: Text("Enrolment code"), footer: Text("Scan the QR code your coordinator shows, or paste the code.")) {
                TextField("sangam://enrol?hub=…&token=…", text: $code)
                    .textInputAutocapitalization(.never)
                    .autocorrectionDisabled()
                HStack {
                    if DataScannerViewController.isSupported {
                        Button("Scan QR") { scanning = true }
                    }
                    Button("Paste") {
                        if let pasted = UIPasteboard.general.string {
                            code = pasted
                            apply(pasted)
                        }
                    }
                    Spacer()
                    Button("Use code") { apply(code) }.disabled(code.isEmpty)
                }
                .buttonStyle(.borderless)
            }
            Section(header: Text("Hub")) {
                TextField("Hub URL", text: $form.hubUrl)
                    .keyboardType(.URL)
                    .textInputAutocapitalization(.never)
                    .autocorrectionDisabled()
                SecureField("Device token", text: $form.token)
            }
            Section(header: Text("You")) {
                TextField("Your name", text: $form.displayName)
                TextField("Your user id", text: $form.userId)
                    .textInputAutocapitalization(.never)
                TextField("District code (scope), e.g. UP-SIT", text: $form.scope)
                    .textInputAutocapitalization(.characters)
                Picker("Role", selection: $form.role) {
                    ForEach(allRoles, id: \.self) { role in
                        Text(roleLabel(role)).tag(role)
                    }
                }
            }
            Section {
                Button(working ? "Enrolling…" : "Enrol and sync") { enrol() }
                    .disabled(working)
            }
        }
        .navigationTitle("Enrol this phone")
        .sheet(isPresented: $scanning) {
            QRScannerView { scanned in
                scanning = false
                code = scanned
                apply(scanned)
            }
            .ignoresSafeArea()
        }
        .onAppear {
            if let s = model.settings { form = s }
            if let c = initialCode {
                code = c
                apply(c)
            }
        }
    }

    /// Fills the hub URL and token from an enrolment code; a malformed code is explained.
    private func apply(_ text: String) {
        do {
            let e: Enrolment = try parseEnrolment(text: text)
            form.hubUrl = e.hubUrl
            form.token = e.token
            message = "Enrolment code read: hub and token filled in."
        } catch {
            message = userMessage(error)
        }
    }

    private func enrol() {
        let settings = form
        guard settings.isComplete else {
            message = "Please fill in every field: hub URL, token, district, your id and name."
            return
        }
        working = true
        Task {
            defer { working = false }
            do {
                try await model.enrol(settings)
                BackgroundSync.schedule(soon: true)
                if let done = onDone { done() } else { dismiss() }
                _ = try? await model.sync()
            } catch {
                message = userMessage(error)
            }
        }
    }
}

/// The camera QR scanner (VisionKit); calls back with the first QR code's text.
struct QRScannerView: UIViewControllerRepresentable {
    let onCode: (String) -> Void

    func makeUIViewController(context: Context) -> DataScannerViewController {
        let scanner = DataScannerViewController(
            recognizedDataTypes: [.barcode(symbologies: [.qr])],
            qualityLevel: .balanced,
            recognizesMultipleItems: false,
            isHighFrameRateTrackingEnabled: false,
            isHighlightingEnabled: true
        )
        scanner.delegate = context.coordinator
        return scanner
    }

    func updateUIViewController(_ scanner: DataScannerViewController, context: Context) {
        if !scanner.isScanning && DataScannerViewController.isAvailable {
            try? scanner.startScanning()
        }
    }

    func makeCoordinator() -> Coordinator {
        Coordinator(onCode: onCode)
    }

    final class Coordinator: NSObject, DataScannerViewControllerDelegate {
        let onCode: (String) -> Void
        private var done = false

        init(onCode: @escaping (String) -> Void) {
            self.onCode = onCode
        }

        func dataScanner(_ dataScanner: DataScannerViewController, didAdd addedItems: [RecognizedItem], allItems: [RecognizedItem]) {
            guard !done else { return }
            for item in addedItems {
                if case .barcode(let barcode) = item, let text = barcode.payloadStringValue {
                    done = true
                    dataScanner.stopScanning()
                    onCode(text)
                    return
                }
            }
        }
    }
}
